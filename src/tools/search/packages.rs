//! `search_catalog` with `order` (scope `package`): the registry's GraphQL package search,
//! one hit per package (its latest revision), in the order asked, paged by the registry's
//! cursor inside ours ([`ordered`] builds the answer; the pages come from [`first_page`] and
//! [`next_page`]).
//!
//! Two registry releases are in the field. From August 2026 `firstPage` takes
//! `ordering: PackageOrdering` (SearchPackages); before, `order: SearchResultOrder`
//! (SearchPackagesJanuary2026), which has no size order. The newer form is tried first; when the
//! registry refuses it as invalid GraphQL, the catalog client remembers that for the process and
//! the older form is sent from then on, without another refused request.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::catalog::queries::{
    SEARCH_MORE_PACKAGES, SEARCH_PACKAGES, SEARCH_PACKAGES_JANUARY_2026,
};
use crate::catalog::release::refuses_newer_package_search;
use crate::catalog::{CatalogError, Operation};
use crate::tools::budget::{TEXT_BUDGET, encoded_len, take_within};
use crate::tools::navigation::quilt_uri::quilt_uri;
use crate::tools::search::catalog_search::{Resolved, SearchCatalog, SearchCatalogArgs, cursor_of};
use crate::tools::search::cursor::At;
use crate::tools::search::query::{Hit, Order};
use crate::tools::{Ctx, ToolError, decode};

/// One page of the package search.
pub struct Page {
    /// Every match; only the first page says (0 on later ones).
    pub total: u64,
    pub hits: Vec<Hit>,
    /// The registry's cursor of the page after this one; `None` on the last.
    pub cursor: Option<String>,
}

/// A hit as both releases send it (`SearchHitPackage`).
#[derive(Debug, Deserialize)]
struct RawHit {
    score: f64,
    bucket: String,
    name: String,
    pointer: String,
    hash: String,
    size: f64,
    modified: String,
    comment: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FirstData {
    search_packages: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultSet {
    total: u64,
    first_page: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MoreData {
    search_more_packages: Value,
}

#[derive(Debug, Deserialize)]
struct RawPage {
    cursor: Option<String>,
    hits: Vec<Value>,
}

/// The message for size order on a registry that cannot sort by size.
pub const SIZE_NEEDS_AUGUST_2026: &str = "ordering packages by size needs a catalog whose registry is from August 2026 or later (package search `ordering`); this catalog's registry is older. Use order `newest` or `name`, or `relevance`";

/// The first page of a package search for `escaped` in `buckets`, `size` hits, in `order`.
pub async fn first_page(
    ctx: &Ctx,
    buckets: &[String],
    escaped: &str,
    order: Order,
    size: u32,
    include_metadata: bool,
) -> Result<Page, ToolError> {
    let facts = ctx.state.catalog.facts();
    let variables = |order_variable: (&str, Option<&str>)| {
        let mut vars = json!({
            "buckets": buckets, "searchString": escaped, "latestOnly": true, "size": size,
        });
        vars[order_variable.0] = json!(order_variable.1);
        vars
    };
    if !facts.older_package_search() {
        let answer = ctx
            .state
            .catalog
            .graphql_read(
                ctx.on_behalf(),
                SEARCH_PACKAGES,
                variables(("ordering", order.ordering())),
            )
            .await;
        match answer {
            Err(e) if refuses_newer_package_search(&e.kind) => facts.note_older_package_search(),
            other => return read_first(ctx, SEARCH_PACKAGES, other?, include_metadata),
        }
    }
    let Some(older) = order.before_august_2026() else {
        return Err(ToolError::invalid("order", SIZE_NEEDS_AUGUST_2026));
    };
    let data = ctx
        .state
        .catalog
        .graphql_read(
            ctx.on_behalf(),
            SEARCH_PACKAGES_JANUARY_2026,
            variables(("order", Some(older))),
        )
        .await?;
    read_first(ctx, SEARCH_PACKAGES_JANUARY_2026, data, include_metadata)
}

/// The page after the registry's cursor `after`.
pub async fn next_page(
    ctx: &Ctx,
    after: &str,
    size: u32,
    include_metadata: bool,
) -> Result<Page, ToolError> {
    let data = ctx
        .state
        .catalog
        .graphql_read(
            ctx.on_behalf(),
            SEARCH_MORE_PACKAGES,
            json!({ "after": after, "size": size }),
        )
        .await?;
    let MoreData {
        search_more_packages,
    } = decode(SEARCH_MORE_PACKAGES, data)?;
    read_page(
        ctx,
        SEARCH_MORE_PACKAGES,
        0,
        search_more_packages,
        include_metadata,
    )
}

fn read_first(
    ctx: &Ctx,
    op: Operation,
    data: Value,
    include_metadata: bool,
) -> Result<Page, ToolError> {
    let FirstData { search_packages } = decode(op, data)?;
    CatalogError::check_union(op.name, &search_packages)?;
    if search_packages["__typename"] == "EmptySearchResultSet" {
        return Ok(Page {
            total: 0,
            hits: Vec::new(),
            cursor: None,
        });
    }
    let ResultSet { total, first_page } = decode(op, search_packages)?;
    read_page(ctx, op, total, first_page, include_metadata)
}

/// A page (or the union holding one) as results.
fn read_page(
    ctx: &Ctx,
    op: Operation,
    total: u64,
    page: Value,
    include_metadata: bool,
) -> Result<Page, ToolError> {
    CatalogError::check_union(op.name, &page)?;
    let RawPage { cursor, hits } = decode(op, page)?;
    let catalog = &ctx.state.config.catalog_url;
    let hits = hits
        .into_iter()
        .map(|value| {
            let source = include_metadata.then(|| value.clone());
            let raw: RawHit = decode(op, value)?;
            Ok(Hit::Package {
                catalog_url: format!(
                    "{catalog}/b/{}/packages/{}/tree/{}/",
                    raw.bucket, raw.name, raw.hash
                ),
                quilt_uri: quilt_uri(&raw.bucket, &raw.name, Some(&raw.hash), None),
                bucket: raw.bucket,
                package_name: raw.name,
                tag: Some(raw.pointer),
                modified: Some(raw.modified),
                score: Some(raw.score),
                hash: Some(raw.hash),
                // Byte counts travel as GraphQL floats; they are whole numbers.
                size: Some(raw.size.max(0.0) as u64),
                message: raw.comment,
                source,
            })
        })
        .collect::<Result<Vec<Hit>, ToolError>>()?;
    Ok(Page {
        total,
        hits,
        cursor,
    })
}

/// A package search in `order`, through the registry's package search: one page of it, from
/// the cursor's place (mid-page when an earlier answer was cut by the text budget).
pub(super) async fn ordered(
    ctx: &Ctx,
    args: &SearchCatalogArgs,
    search: &Resolved,
    order: Order,
    escaped: &str,
    buckets: Vec<String>,
) -> Result<SearchCatalog, ToolError> {
    let metadata = args.include_metadata;
    let (after, size, skip, known_total) = match &search.at {
        Some((At::Registry { after, size, skip }, total)) => {
            // Mid-page, the page must be asked with its own size to hold the same hits.
            let size = if *skip > 0 { *size } else { args.limit };
            (after.clone(), size, *skip, Some(*total))
        }
        _ => (None, args.limit, 0, None),
    };
    let page = match &after {
        None => first_page(ctx, &buckets, escaped, order, size, metadata).await?,
        Some(after) => next_page(ctx, after, size, metadata).await?,
    };
    let page_len = page.hits.len() as u32;
    let mut result = SearchCatalog {
        query: search.query.clone(),
        scope: search.scope,
        order: Some(order),
        buckets,
        buckets_not_searched: Vec::new(),
        total: known_total.unwrap_or(page.total),
        took_ms: None,
        counts: None,
        returned: None,
        results: None,
        truncated: false,
        next_offset: None,
        next_cursor: None,
        explanation: None,
    };
    let hits: Vec<Hit> = (page.hits.into_iter())
        .skip(skip as usize)
        .take(args.limit as usize)
        .collect();
    // Room for the longest cursor this answer can carry, besides the hits.
    let longest = [&after, &page.cursor]
        .into_iter()
        .flatten()
        .map(String::len)
        .max();
    let placeholder = At::Registry {
        after: Some("x".repeat(longest.unwrap_or(0))),
        size: u32::MAX,
        skip: u32::MAX,
    };
    let reserve = cursor_of(search, result.total, placeholder).len();
    let room = TEXT_BUDGET.saturating_sub(encoded_len(&result) + 64 + reserve);
    let (hits, left_out) = take_within(hits, room);
    let read = skip + hits.len() as u32;
    let at = if read < page_len {
        Some(At::Registry {
            after,
            size,
            skip: read,
        })
    } else {
        page.cursor.map(|next| At::Registry {
            after: Some(next),
            size: args.limit,
            skip: 0,
        })
    };
    result.truncated = left_out > 0;
    result.returned = Some(hits.len());
    result.results = Some(hits);
    result.next_cursor = at.map(|at| cursor_of(search, result.total, at));
    Ok(result)
}

//! `search_docs_quilt_bio`: ranks the pages of the Quilt docs site (`QUILT_DOCS_URL`) for a
//! query, as the Python server does: every page in the sitemaps is scored by the query's terms
//! against its URL, then the best few pages' titles and descriptions are fetched, scored too,
//! and shown. The site is read through [`crate::docs::DocsClient`] (cached, bounded, and
//! answered from its last good copy while the site is down); no catalog call is made and the
//! caller's token never leaves for the docs site.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::docs::{Located, Summary};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Pages whose title and description are fetched per call (the Python server's number).
const SUMMARIZED: usize = 5;
/// The longest snippet shown.
const SNIPPET_CHARS: usize = 300;
/// Words too common to say anything about a page; dropped unless the query is only these.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "can", "do", "does", "for", "how", "i", "in", "is", "it", "my", "of",
    "on", "or", "the", "to", "what", "with",
];

/// Arguments of `search_docs_quilt_bio`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchDocsArgs {
    /// Natural language query for Quilt docs pages (e.g. jwt auth, tabulator, package delete).
    pub query: String,
    /// Maximum number of docs results to return (1-25, default 8).
    #[serde(default = "eight")]
    #[schemars(range(min = 1, max = 25))]
    pub limit: u32,
    /// Include archived versioned docs paths such as /version-5.0.x/ when true.
    #[serde(default)]
    pub include_versioned_docs: bool,
}

fn eight() -> u32 {
    8
}

/// One docs page found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DocsHit {
    pub url: String,
    /// The page's `<title>`, for the best few pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The page's meta description (or first paragraph), for the best few pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// Higher is better: a term in the URL's path counts 3 (4 in its last segment), in the
    /// title 2, in the description 1; part of a path word 1.
    pub score: u32,
    /// The query's terms this page matched.
    pub matched_terms: Vec<String>,
    /// The sitemap's `lastmod`, as the site wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// What `search_docs_quilt_bio` answers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DocsSearch {
    pub success: bool,
    pub query: String,
    /// The sitemap read.
    pub source: String,
    pub include_versioned_docs: bool,
    /// Pages that matched at least one term (before `limit`).
    pub total_matches: usize,
    pub returned: usize,
    pub results: Vec<DocsHit>,
    /// True when the docs site could not be read and the pages come from the last good copy.
    pub stale: bool,
    /// When the site gave the page list used (RFC 3339).
    pub sitemap_fetched_at: String,
    /// Why the answer is stale, and how old it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

pub const SEARCH_DOCS_QUILT_BIO: Tool = Tool {
    name: "search_docs_quilt_bio",
    title: "Search the Quilt docs",
    description: "Search the Quilt documentation site (docs.quilt.bio) for pages about a topic, ranked by how well the query's terms match each page's URL, title and description. Open the top result's URL for the details; archived release docs (/version-…/) are left out unless include_versioned_docs is true.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(SearchDocsArgs),
    output_schema: Some(|| schemars::schema_for!(DocsSearch)),
    call: |ctx, args| typed(ctx, args, search_docs),
};

async fn search_docs(ctx: &Ctx, args: SearchDocsArgs) -> Result<DocsSearch, ToolError> {
    if !(1..=25).contains(&args.limit) {
        return Err(ToolError::invalid("limit", "must be between 1 and 25"));
    }
    let terms = terms(&args.query);
    if terms.is_empty() {
        return Err(ToolError::invalid(
            "query",
            "Query must contain at least one alphanumeric term.",
        ));
    }
    let docs = &ctx.state.docs;
    let site = docs
        .pages(args.include_versioned_docs)
        .await
        .map_err(|why| {
            ToolError::Failed(format!(
                "Failed to fetch docs sitemap: {why}. Nothing is cached yet to answer from; try again later or check QUILT_DOCS_URL."
            ))
        })?;
    let mut scored: Vec<DocsHit> = site
        .value
        .pages
        .iter()
        .filter_map(|page| score_page(page, &terms))
        .collect();
    let total_matches = scored.len();
    rank(&mut scored);
    // The best few get their title and description, which may reorder them.
    let top: Vec<String> = scored
        .iter()
        .take(SUMMARIZED)
        .map(|hit| hit.url.clone())
        .collect();
    let summaries = docs.summaries(&top).await;
    for (hit, summary) in scored.iter_mut().zip(summaries) {
        if let Some(summary) = summary {
            add_summary(hit, summary, &terms);
        }
    }
    rank(&mut scored);
    scored.truncate(args.limit as usize);
    let fetched_at = site.value.fetched_at;
    let notice = site.stale.as_ref().map(|why| {
        let minutes = (crate::time::unix_now() - fetched_at).max(0) / 60;
        format!(
            "The docs site could not be read ({why}); these results come from its copy read {minutes} minute(s) ago."
        )
    });
    Ok(DocsSearch {
        success: true,
        query: args.query,
        source: docs.sitemap_url(),
        include_versioned_docs: args.include_versioned_docs,
        total_matches,
        returned: scored.len(),
        results: scored,
        stale: site.stale.is_some(),
        sitemap_fetched_at: rfc3339(fetched_at),
        notice,
    })
}

fn rfc3339(unix: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.max(0) as u64);
    crate::time::format_rfc3339(at)
}

/// The query's distinct lowercase alphanumeric words, common words dropped unless that leaves
/// none.
fn terms(query: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let all: Vec<String> = words(query)
        .into_iter()
        .filter(|w| seen.insert(w.clone()))
        .collect();
    let meaningful: Vec<String> = all
        .iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .cloned()
        .collect();
    if meaningful.is_empty() {
        all
    } else {
        meaningful
    }
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A page scored by its URL's path, or `None` when no term matches it.
fn score_page(page: &Located, terms: &[String]) -> Option<DocsHit> {
    let path = page
        .loc
        .split_once("://")
        .map_or(page.loc.as_str(), |(_, rest)| {
            rest.split_once('/').map_or("", |(_, path)| path)
        });
    let path_words = words(path);
    let last_words = words(
        path.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default(),
    );
    let mut score = 0;
    let mut matched = Vec::new();
    for term in terms {
        let points = if path_words.contains(term) {
            3 + u32::from(last_words.contains(term))
        } else if term.len() >= 3 && path_words.iter().any(|w| w.contains(term.as_str())) {
            1
        } else {
            0
        };
        if points > 0 {
            score += points;
            matched.push(term.clone());
        }
    }
    (score > 0).then(|| DocsHit {
        url: page.loc.clone(),
        title: None,
        snippet: None,
        score,
        matched_terms: matched,
        last_modified: page.lastmod.clone(),
    })
}

/// Adds a page's title and description, and the points its terms earn there.
fn add_summary(hit: &mut DocsHit, summary: Summary, terms: &[String]) {
    let title_words = summary.title.as_deref().map(words).unwrap_or_default();
    let text_words = summary
        .description
        .as_deref()
        .map(words)
        .unwrap_or_default();
    for term in terms {
        let points =
            2 * u32::from(title_words.contains(term)) + u32::from(text_words.contains(term));
        if points > 0 {
            hit.score += points;
            if !hit.matched_terms.contains(term) {
                hit.matched_terms.push(term.clone());
            }
        }
    }
    hit.title = summary.title;
    hit.snippet = summary.description.map(|text| shorten(&text));
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= SNIPPET_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(SNIPPET_CHARS).collect();
    format!("{}…", cut.trim_end())
}

/// Best first; ties by the shorter (more general) URL, then alphabetically, so the order is stable.
fn rank(hits: &mut [DocsHit]) {
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.url.len().cmp(&b.url.len()))
            .then(a.url.cmp(&b.url))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(loc: &str) -> Located {
        Located {
            loc: loc.into(),
            lastmod: None,
        }
    }

    #[test]
    fn terms_are_distinct_words_without_filler() {
        assert_eq!(
            terms("How do I search the Catalog? search!"),
            ["search", "catalog"]
        );
        assert_eq!(terms("how to"), ["how", "to"]);
        assert!(terms("  --- ?? ").is_empty());
    }

    #[test]
    fn url_words_score_more_than_parts_and_the_last_segment_most() {
        let terms = terms("tabulator tables");
        let exact = score_page(&page("https://d/catalog/tabulator"), &terms).unwrap();
        assert_eq!(
            (exact.score, exact.matched_terms.clone()),
            (4, vec!["tabulator".to_string()])
        );
        let part = score_page(&page("https://d/tabulator/tablesetup"), &terms).unwrap();
        assert_eq!(part.score, 3 + 1);
        assert!(score_page(&page("https://tabulator.example/other"), &terms).is_none());
        let mut hit = exact;
        let summary = Summary {
            title: Some("Tabulator: tables".into()),
            description: Some("Query tables".into()),
        };
        add_summary(&mut hit, summary, &terms);
        assert_eq!(hit.score, 4 + 2 + (2 + 1));
        assert_eq!(hit.matched_terms, ["tabulator", "tables"]);
    }
}

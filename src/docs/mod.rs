//! The docs-site client behind `search_docs_quilt_bio`: reads the public Quilt documentation's
//! sitemaps (`QUILT_DOCS_URL`) and the head of a few pages. It is not the catalog: no caller's
//! token or credential is ever sent, and one copy of what it reads serves every caller.
//!
//! - **Only the site.** Nested sitemaps, pages and redirects are followed only on the origin of
//!   `QUILT_DOCS_URL`: a sitemap naming other hosts (say, a cloud metadata address) must not
//!   make the server fetch them. Such pages are still listed as links, never fetched.
//! - **Bounded.** Every request has `QUILT_DOCS_TIMEOUT`; a sitemap is read up to
//!   [`MAX_SITEMAP_BYTES`] (past it: a clear error), a page only its first
//!   [`PAGE_HEAD_BYTES`]; at most [`MAX_NESTED_SITEMAPS`] nested sitemaps and [`MAX_PAGES`]
//!   listed pages are kept. Calls run on tokio's blocking pool, like the catalog client's.
//! - **Cached.** Sitemaps and page summaries are kept `QUILT_DOCS_CACHE_TTL` (an hour unless
//!   set) in bounded maps whose concurrent misses share one fetch (no stampede on the site). A
//!   second map keeps the last good copy for [`KEPT_TTL`]: when the site is down or slow, the
//!   answer comes from it, marked stale; only with nothing kept does the call fail. After a failure the site is not asked
//!   again for [`RETRY_AFTER`] (or the cache's TTL, when shorter), so an outage costs one
//!   timeout, not one per call.

pub mod markup;

use std::sync::Arc;
use std::time::Duration;

use crate::ttl_map::TtlMap;

pub use markup::{Located, Summary};

/// How long the last good copy is kept to answer from while the site is down.
pub const KEPT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// After a failed fetch, answer from the kept copy (when there is one) this long without asking.
pub const RETRY_AFTER: Duration = Duration::from_secs(60);
/// The largest sitemap read (the real one is well under 1 MiB).
pub const MAX_SITEMAP_BYTES: u64 = 4 * 1024 * 1024;
/// How much of a page is read: the title and description are in its head.
pub const PAGE_HEAD_BYTES: u64 = 64 * 1024;
/// Nested sitemaps read from an index.
pub const MAX_NESTED_SITEMAPS: usize = 20;
/// Pages kept from all sitemaps together.
pub const MAX_PAGES: usize = 20_000;
/// Page summaries kept.
const SUMMARIES_KEPT: usize = 2_000;

/// Why the docs site could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocsError(pub String);

impl std::fmt::Display for DocsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The listed pages of the site (versioned ones only when asked), in sitemap order.
#[derive(Debug)]
pub struct SiteMap {
    pub pages: Vec<Located>,
    /// When the site gave this list (seconds since the epoch).
    pub fetched_at: i64,
}

/// A value and where it came from.
#[derive(Clone, Debug)]
pub struct Cached<V> {
    pub value: V,
    /// Set when the site failed and this is the last good copy: why it failed.
    pub stale: Option<DocsError>,
}

/// The shared docs-site client.
#[derive(Debug)]
pub struct DocsClient {
    agent: ureq::Agent,
    base_url: String,
    timeout: Duration,
    sitemaps: Kept<bool, Arc<SiteMap>>,
    summaries: Kept<String, Summary>,
}

impl DocsClient {
    /// A client for the site at `base_url` (no trailing `/`), each request bounded by `timeout`,
    /// what it gives used for `fresh_ttl`.
    pub fn new(base_url: &str, timeout: Duration, fresh_ttl: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            // Redirects are followed by hand, and only on the site's own origin (`fetch`).
            .max_redirects(0)
            .max_idle_connections_per_host(4)
            .user_agent(format!("quilt-mcp/{}", env!("CARGO_PKG_VERSION")))
            .tls_config(crate::catalog::tls_config())
            .build();
        DocsClient {
            agent: config.into(),
            base_url: base_url.trim_end_matches('/').to_string(),
            timeout,
            sitemaps: Kept::new(2, fresh_ttl),
            summaries: Kept::new(SUMMARIES_KEPT, fresh_ttl),
        }
    }

    /// The sitemap this client starts from.
    pub fn sitemap_url(&self) -> String {
        format!("{}/sitemap.xml", self.base_url)
    }

    /// The site's pages, from the cache or the site; versioned docs only when asked.
    pub async fn pages(&self, include_versioned: bool) -> Result<Cached<Arc<SiteMap>>, DocsError> {
        // Bounded as a whole: the index, then its nested sitemaps side by side.
        let budget = self.timeout * 2 + Duration::from_millis(500);
        self.sitemaps
            .get(include_versioned, || async {
                tokio::time::timeout(budget, self.load_pages(include_versioned))
                    .await
                    .unwrap_or_else(|_| {
                        Err(DocsError(format!(
                            "the docs site did not answer within {} s",
                            budget.as_secs()
                        )))
                    })
            })
            .await
    }

    /// The title and description of each of `urls` (pages that fail have none), all fetched
    /// side by side within one timeout.
    pub async fn summaries(&self, urls: &[String]) -> Vec<Option<Summary>> {
        let fetches = urls.iter().map(|url| async move {
            if !same_origin(url, &self.base_url) {
                return None;
            }
            let fetch = || async { self.summary(url).await };
            self.summaries
                .get(url.clone(), fetch)
                .await
                .ok()
                .map(|c| c.value)
        });
        let all = futures_join_all(fetches);
        let budget = self.timeout + Duration::from_millis(250);
        match tokio::time::timeout(budget, all).await {
            Ok(found) => found,
            // Summaries already kept are still worth showing.
            Err(_) => urls.iter().map(|url| self.summaries.peek(url)).collect(),
        }
    }

    async fn summary(&self, url: &str) -> Result<Summary, DocsError> {
        let body = self.get(url.to_string(), PAGE_HEAD_BYTES, false).await?;
        Ok(markup::summarize_page(&String::from_utf8_lossy(&body)))
    }

    async fn load_pages(&self, include_versioned: bool) -> Result<Arc<SiteMap>, DocsError> {
        let root = self.sitemap_url();
        let mut pages = Vec::new();
        match self.sitemap(&root).await? {
            markup::Sitemap::Pages(listed) => pages.extend(listed),
            markup::Sitemap::Index(nested) => {
                let wanted = nested
                    .into_iter()
                    .filter(|s| same_origin(&s.loc, &self.base_url))
                    .filter(|s| include_versioned || !is_versioned(&s.loc))
                    .take(MAX_NESTED_SITEMAPS);
                let fetches = wanted.map(|s| async move { self.sitemap(&s.loc).await });
                for sitemap in futures_join_all(fetches).await {
                    // An index nested in an index is not followed (the format forbids it).
                    if let markup::Sitemap::Pages(listed) = sitemap? {
                        pages.extend(listed);
                    }
                }
            }
        }
        pages.retain(|page| include_versioned || !is_versioned(&page.loc));
        pages.truncate(MAX_PAGES);
        Ok(Arc::new(SiteMap {
            pages,
            fetched_at: crate::time::unix_now(),
        }))
    }

    async fn sitemap(&self, url: &str) -> Result<markup::Sitemap, DocsError> {
        let body = self.get(url.to_string(), MAX_SITEMAP_BYTES, true).await?;
        let text = String::from_utf8_lossy(&body);
        markup::parse_sitemap(&text).ok_or_else(|| {
            DocsError(format!(
                "{url} is not a sitemap (no <urlset> or <sitemapindex>)"
            ))
        })
    }

    /// GETs `url` on the blocking pool: at most `cap` bytes; past it an error when `whole`,
    /// else the first `cap` bytes.
    async fn get(&self, url: String, cap: u64, whole: bool) -> Result<Vec<u8>, DocsError> {
        let agent = self.agent.clone();
        let timeout = self.timeout;
        let site = self.base_url.clone();
        tokio::task::spawn_blocking(move || fetch(&agent, &site, &url, cap, whole, timeout))
            .await
            .unwrap_or_else(|e| Err(DocsError(format!("the docs fetch stopped: {e}"))))
    }
}

/// Whether a URL is an archived release's page (`/version-5.0.x/…`).
pub fn is_versioned(url: &str) -> bool {
    let path = url.split_once("://").map_or(url, |(_, rest)| {
        rest.split_once('/').map_or("", |(_, path)| path)
    });
    path.split('/')
        .any(|segment| segment.starts_with("version-"))
}

/// The `scheme://host[:port]` of a URL, lowercased; `None` when it has no scheme.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    Some(format!("{scheme}://{host}").to_ascii_lowercase())
}

/// Whether `url` is on the docs site's own origin.
pub fn same_origin(url: &str, site: &str) -> bool {
    origin(url).is_some_and(|o| Some(o) == origin(site))
}

/// Redirects followed within the site (documentation hosts move pages and add slashes).
const MAX_REDIRECTS: usize = 3;

fn fetch(
    agent: &ureq::Agent,
    site: &str,
    url: &str,
    cap: u64,
    whole: bool,
    timeout: Duration,
) -> Result<Vec<u8>, DocsError> {
    use std::io::Read;
    let failed = |why: String| DocsError(format!("GET {url}: {why}"));
    let mut at = url.to_string();
    let mut hops = 0;
    let mut response = loop {
        let response = agent.get(&at).call().map_err(|e| match e {
            ureq::Error::Timeout(_) => failed(format!("no answer within {} s", timeout.as_secs())),
            ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                failed(format!("no answer within {} s", timeout.as_secs()))
            }
            other => failed(other.to_string()),
        })?;
        if !response.status().is_redirection() {
            break response;
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let next = match location.strip_prefix('/') {
            Some(path) if !path.starts_with('/') => {
                format!("{}/{path}", origin(&at).unwrap_or_default())
            }
            _ => location.to_string(),
        };
        hops += 1;
        if hops > MAX_REDIRECTS || !same_origin(&next, site) {
            return Err(failed(format!(
                "redirected to {next:?}, which is not followed (only {MAX_REDIRECTS} redirects within the docs site are)"
            )));
        }
        at = next;
    };
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(failed(format!("HTTP {status}")));
    }
    let mut bytes = Vec::new();
    response
        .body_mut()
        .as_reader()
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| failed(e.to_string()))?;
    if bytes.len() as u64 > cap {
        if whole {
            return Err(failed(format!("larger than {} KiB; not read", cap / 1024)));
        }
        bytes.truncate(cap as usize);
    }
    Ok(bytes)
}

/// Runs futures side by side and collects their outputs in order (a few at a time here, so
/// a `JoinSet` and its spawned tasks would add nothing).
async fn futures_join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_some() {
                continue;
            }
            match future.as_mut().poll(cx) {
                std::task::Poll::Ready(value) => *output = Some(value),
                std::task::Poll::Pending => pending = true,
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// A fresh map (shared fetches) and a longer-lived copy of the last good value, with a short
/// memory of failures so an outage is not asked again on every call.
struct Kept<K, V> {
    fresh: TtlMap<K, V, DocsError>,
    kept: TtlMap<K, V>,
    failed: TtlMap<K, DocsError>,
}

impl<K, V> std::fmt::Debug for Kept<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("fresh", &self.fresh.len())
            .field("kept", &self.kept.len())
            .finish()
    }
}

impl<K: Clone + Eq + std::hash::Hash, V: Clone> Kept<K, V> {
    fn new(cap: usize, fresh_ttl: Duration) -> Self {
        Kept {
            fresh: TtlMap::new(cap, fresh_ttl),
            kept: TtlMap::new(cap, KEPT_TTL),
            // A zero TTL keeps nothing: with no cache, every call asks the site again.
            failed: TtlMap::new(cap, RETRY_AFTER.min(fresh_ttl)),
        }
    }

    /// The fresh value, else `fetch` (shared with concurrent callers), else the kept copy marked
    /// stale; the error only when nothing was ever kept.
    async fn get<F, Fut>(&self, key: K, fetch: F) -> Result<Cached<V>, DocsError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, DocsError>>,
    {
        if let (Some(why), Some(value)) = (self.failed.get(&key), self.kept.get(&key)) {
            return Ok(Cached {
                value,
                stale: Some(why),
            });
        }
        let fetched = self
            .fresh
            .get_or_fetch(key.clone(), || async {
                let value = fetch().await?;
                self.kept.insert(key.clone(), value.clone());
                Ok(value)
            })
            .await;
        match fetched {
            Ok(value) => Ok(Cached { value, stale: None }),
            Err(why) => {
                self.failed.insert(key.clone(), why.clone());
                let kept = self.kept.get(&key);
                tracing::warn!(error = %why, answered_from_copy = kept.is_some(), "docs site could not be read");
                match kept {
                    Some(value) => Ok(Cached {
                        value,
                        stale: Some(why),
                    }),
                    None => Err(why),
                }
            }
        }
    }

    /// The fresh or kept value, without asking the site.
    fn peek(&self, key: &K) -> Option<V> {
        self.fresh.get(key).or_else(|| self.kept.get(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_paths_are_spotted_in_any_segment() {
        assert!(is_versioned("https://docs.quilt.bio/version-5.0.x/catalog"));
        assert!(is_versioned(
            "http://127.0.0.1:9/docs/version-4.9.x/sitemap.xml"
        ));
        assert!(!is_versioned("https://docs.quilt.bio/catalog/versioning"));
        assert!(!is_versioned("https://version-1.example.com/catalog"));
    }

    #[test]
    fn only_the_sites_own_origin_is_followed() {
        let site = "https://docs.quilt.bio";
        assert!(same_origin("https://docs.quilt.bio/catalog?x#y", site));
        assert!(same_origin("HTTPS://Docs.Quilt.Bio", site));
        assert!(!same_origin("http://docs.quilt.bio/catalog", site));
        assert!(!same_origin("https://docs.quilt.bio:8443/catalog", site));
        assert!(!same_origin(
            "http://169.254.169.254/latest/meta-data",
            site
        ));
        assert!(!same_origin("https://docs.quilt.bio.evil.example/x", site));
        assert!(!same_origin("/catalog", site));
        assert!(same_origin(
            "http://127.0.0.1:9/docs/a",
            "http://127.0.0.1:9/docs"
        ));
    }
}

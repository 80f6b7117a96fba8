//! The embedded docs site: a small stand-in for the Quilt documentation site, served under
//! `/docs/` so `search_docs_quilt_bio` can be tried (`demo`) and tested without the internet.
//!
//! The pages and sitemaps are dataset files (`tests/dataset/docs/site/`, see its README): the
//! sitemap index at `/docs/sitemap.xml`, nested sitemaps, and `/docs/<path>` served from
//! `<path>.html`. `{{base}}` in a sitemap becomes the site's own URL. The site is public, as
//! the real one is: no token is asked for, and none should arrive. A test takes it down with a
//! fault whose `path_prefix` is [`PATH_PREFIX`].

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::fault::Prepared;
use super::model::dataset_file;

/// Where the site is served on the mock.
pub const PATH_PREFIX: &str = "/docs";

/// Whether `path` is the docs site's.
pub(crate) fn serves(path: &str) -> bool {
    path == PATH_PREFIX || path.starts_with("/docs/")
}

/// The answer to `GET <path>` on the docs site of the mock at `mock_url`.
pub(crate) fn answer(path: &str, mock_url: &str) -> Prepared {
    let below = path
        .strip_prefix(PATH_PREFIX)
        .unwrap_or_default()
        .trim_start_matches('/');
    // No `..` games: the dataset is read by path, and only under `docs/site/`.
    if below.split('/').any(|segment| segment == "..") {
        return not_found();
    }
    let (file, content_type) = if below.ends_with(".xml") {
        (format!("docs/site/{below}"), "application/xml")
    } else if below.is_empty() {
        (
            "docs/site/index.html".to_string(),
            "text/html; charset=utf-8",
        )
    } else {
        let page = below.trim_end_matches('/');
        (format!("docs/site/{page}.html"), "text/html; charset=utf-8")
    };
    let Some(bytes) = dataset_file(&file) else {
        return not_found();
    };
    let body = if content_type == "application/xml" {
        let base = format!("{mock_url}{PATH_PREFIX}");
        Bytes::from(String::from_utf8_lossy(bytes).replace("{{base}}", &base))
    } else {
        Bytes::from_static(bytes)
    };
    prepared(StatusCode::OK, content_type, body)
}

fn not_found() -> Prepared {
    let body = Bytes::from_static(b"<html><title>Not found</title><p>No such page.</p></html>");
    prepared(StatusCode::NOT_FOUND, "text/html; charset=utf-8", body)
}

fn prepared(status: StatusCode, content_type: &'static str, body: Bytes) -> Prepared {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Prepared {
        status,
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemaps_name_the_site_and_pages_are_html() {
        let index = answer("/docs/sitemap.xml", "http://127.0.0.1:9");
        assert_eq!(index.status, StatusCode::OK);
        let text = String::from_utf8_lossy(&index.body);
        assert!(
            text.contains("<loc>http://127.0.0.1:9/docs/sitemap-pages.xml</loc>"),
            "{text}"
        );
        for path in [
            "/docs",
            "/docs/",
            "/docs/catalog/search",
            "/docs/catalog/search/",
        ] {
            let page = answer(path, "http://127.0.0.1:9");
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert!(String::from_utf8_lossy(&page.body).contains("<title>"));
        }
        for missing in [
            "/docs/nope",
            "/docs/../catalog.json",
            "/docs/catalog/../../catalog",
        ] {
            assert_eq!(
                answer(missing, "x").status,
                StatusCode::NOT_FOUND,
                "{missing}"
            );
        }
    }
}

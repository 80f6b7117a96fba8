//! Just enough reading of sitemap XML and HTML for the docs search: the `<loc>`/`<lastmod>` of
//! each `<url>` or `<sitemap>`, and a page's `<title>`, meta description or first paragraph.
//!
//! Hand-written on purpose: sitemaps are a flat, fixed format and we read three HTML elements
//! from the head of a page; a full XML or HTML parser would cost more to build than it saves
//! here, and nothing below can panic or loop on hostile text (every search moves forward).

/// One `<url>` of a sitemap, or one `<sitemap>` of a sitemap index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub loc: String,
    pub lastmod: Option<String>,
}

/// What a sitemap file holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Sitemap {
    /// A sitemap index: the nested sitemaps it names.
    Index(Vec<Located>),
    /// A list of pages.
    Pages(Vec<Located>),
}

/// Reads a sitemap or a sitemap index; `None` when the text is neither.
pub fn parse_sitemap(text: &str) -> Option<Sitemap> {
    if text.contains("<sitemapindex") {
        Some(Sitemap::Index(blocks(text, "sitemap")))
    } else if text.contains("<urlset") {
        Some(Sitemap::Pages(blocks(text, "url")))
    } else {
        None
    }
}

/// Every `<tag>…</tag>` block's `loc` and `lastmod` (blocks without a `loc` are skipped).
fn blocks(text: &str, tag: &str) -> Vec<Located> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let (block, next) = match after.find(&close) {
            Some(end) => (&after[..end], &after[end + close.len()..]),
            None => (after, ""),
        };
        if let Some(loc) = element(block, "loc").filter(|loc| !loc.is_empty()) {
            found.push(Located {
                loc,
                lastmod: element(block, "lastmod").filter(|m| !m.is_empty()),
            });
        }
        rest = next;
    }
    found
}

/// The text of `<name>…</name>` in `block`, unescaped and trimmed.
fn element(block: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = block.find(&open)? + open.len();
    let end = block[start..].find("</")? + start;
    let raw = block[start..end].trim();
    let raw = raw
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
        .unwrap_or(raw);
    Some(unescape(raw.trim()))
}

/// A page's title and the text that best says what it is about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub title: Option<String>,
    /// The meta description (or `og:description`), else the first paragraph's text.
    pub description: Option<String>,
}

/// Reads a page's `<title>` and description; tags are matched ignoring case.
pub fn summarize_page(html: &str) -> Summary {
    // ASCII lowering keeps every byte offset, so positions found in `lower` index `html`.
    let lower = html.to_ascii_lowercase();
    let title = inner_text(html, &lower, "title");
    let description = meta_description(html, &lower).or_else(|| inner_text(html, &lower, "p"));
    Summary {
        title: title.filter(|t| !t.is_empty()),
        description: description.filter(|d| !d.is_empty()),
    }
}

/// The text inside the first `<tag …>…</tag>`, tags inside it removed, spaces collapsed.
fn inner_text(html: &str, lower: &str, tag: &str) -> Option<String> {
    let mut from = 0;
    loop {
        let start = lower[from..].find(&format!("<{tag}"))? + from;
        let after_name = start + 1 + tag.len();
        // `<p>` must not match `<param>`: the name ends at `>` or a space.
        let next = lower.as_bytes().get(after_name).copied();
        if !matches!(next, Some(b'>' | b' ' | b'\t' | b'\n' | b'\r')) {
            from = after_name;
            continue;
        }
        let body_start = lower[after_name..].find('>')? + after_name + 1;
        let body_end = lower[body_start..]
            .find(&format!("</{tag}"))
            .map_or(lower.len(), |end| end + body_start);
        return Some(plain(&html[body_start..body_end]));
    }
}

/// The `content` of `<meta name="description">` or `<meta property="og:description">`.
fn meta_description(html: &str, lower: &str) -> Option<String> {
    let mut from = 0;
    while let Some(found) = lower[from..].find("<meta") {
        let start = found + from;
        let end = lower[start..].find('>').map_or(lower.len(), |e| e + start);
        let tag = &html[start..end];
        let named = attribute(tag, "name").or_else(|| attribute(tag, "property"));
        if named.is_some_and(|n| n.eq_ignore_ascii_case("description") || n == "og:description")
            && let Some(content) = attribute(tag, "content")
        {
            // Already unescaped: stripping tags now would eat a decoded `<`.
            return Some(content.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        from = end;
    }
    None
}

/// The value of attribute `name` in one tag's text (quoted with `"` or `'`), unescaped.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    loop {
        let at = lower[from..].find(name)? + from;
        from = at + name.len();
        let before = lower[..at].chars().next_back();
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let rest = lower[from..].trim_start();
        let Some(value) = rest.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let quote = value.chars().next()?;
        if quote != '"' && quote != '\'' {
            continue;
        }
        // Offsets into `tag` itself, to keep the value's case.
        let value_start = tag.len() - value.len() + 1;
        let value_end = tag[value_start..].find(quote)? + value_start;
        return Some(unescape(&tag[value_start..value_end]));
    }
}

/// Text with tags removed, entities decoded and whitespace collapsed.
fn plain(fragment: &str) -> String {
    let mut text = String::with_capacity(fragment.len());
    let mut in_tag = false;
    for c in fragment.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    unescape(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Decodes the XML entities and numeric character references; an unknown one is kept as written.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|end| *end <= 10).and_then(|end| {
            let name = &after[..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Hostile text never panics: fragments of the markup read here, mixed with anything.
        #[test]
        fn any_text_reads_without_panicking(parts in prop::collection::vec(prop_oneof![
            Just("<title".to_string()), Just("</title>".to_string()), Just("<meta ".to_string()),
            Just("name=\"description\" content='".to_string()), Just("<p".to_string()),
            Just("<urlset>".to_string()), Just("<sitemapindex>".to_string()),
            Just("<url><loc>".to_string()), Just("</loc>".to_string()), Just("&#x".to_string()),
            Just("&".to_string()), Just(";".to_string()), Just(">".to_string()),
            ".{0,6}",
        ], 0..40)) {
            let text = parts.concat();
            let _ = parse_sitemap(&text);
            let _ = summarize_page(&text);
        }
    }

    #[test]
    fn sitemaps_and_indexes_are_told_apart() {
        let index = "<?xml version=\"1.0\"?><sitemapindex><sitemap><loc> https://d/a.xml </loc>\
                     <lastmod>2026-01-01</lastmod></sitemap><sitemap><loc></loc></sitemap></sitemapindex>";
        assert_eq!(
            parse_sitemap(index),
            Some(Sitemap::Index(vec![Located {
                loc: "https://d/a.xml".into(),
                lastmod: Some("2026-01-01".into())
            }]))
        );
        let pages = "<urlset><url><loc>https://d/?a=1&amp;b=2</loc></url><url><loc><![CDATA[https://d/c]]></loc>";
        assert_eq!(
            parse_sitemap(pages),
            Some(Sitemap::Pages(vec![
                Located {
                    loc: "https://d/?a=1&b=2".into(),
                    lastmod: None
                },
                Located {
                    loc: "https://d/c".into(),
                    lastmod: None
                },
            ]))
        );
        assert_eq!(parse_sitemap("<html>not a sitemap</html>"), None);
    }

    #[test]
    fn pages_give_title_and_description() {
        let html = "<HTML><Head><TITLE>Quilt &amp; <b>you</b></TITLE>\
                    <meta property=\"og:title\" content=\"x\">\
                    <META NAME='Description' CONTENT='Packages &lt;3 data'></head>\
                    <body><param><p class=\"x\">First <a>para</a>.</p></body>";
        assert_eq!(
            summarize_page(html),
            Summary {
                title: Some("Quilt & you".into()),
                description: Some("Packages <3 data".into()),
            }
        );
        let bare = "<title></title><p>Only   a\nparagraph &#x41;&#66; &bogus;</p>";
        assert_eq!(
            summarize_page(bare),
            Summary {
                title: None,
                description: Some("Only a paragraph AB &bogus;".into()),
            }
        );
        assert_eq!(summarize_page("<p"), Summary::default());
        assert_eq!(
            summarize_page("<meta name=description content="),
            Summary::default()
        );
    }
}

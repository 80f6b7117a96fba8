//! Reading a templated URI: the one `{parameter}` segment's value, percent-decoded.

/// The value of the template's one `{parameter}` in `uri`: one non-empty path segment,
/// percent-decoded (RFC 6570 simple expansion encodes it).
pub(super) fn capture(template: &str, uri: &str) -> Option<String> {
    let (prefix, rest) = template.split_once('{')?;
    let (_, suffix) = rest.split_once('}')?;
    let raw = uri.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if raw.is_empty() || raw.contains('/') {
        return None;
    }
    percent_decode(raw).filter(|value| !value.trim().is_empty())
}

/// Decodes `%XX` escapes; `None` for a malformed escape (not a URI) or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    // The crate keeps a malformed escape as written; a URI holding one names no resource.
    let well_formed = text.split('%').skip(1).all(|after| {
        after
            .get(..2)
            .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    let decoded = percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()?;
    well_formed.then(|| decoded.into_owned())
}

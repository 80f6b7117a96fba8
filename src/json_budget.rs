//! A count of a JSON document's values before it is parsed. Parsing into `serde_json::Value`
//! costs tens of bytes per value, so 8 MiB of `[[],[],…]` (millions of tiny values) took
//! hundreds of MiB: requests (`mcp::transport`, `stdio`) and catalog answers (`catalog`) with
//! more values than they need are refused first, from a scan that allocates nothing.

/// More values than any MCP request needs (a package of 1,000 entries is about 10,000), and
/// at most a few MiB once parsed.
pub const MAX_VALUES: usize = 100_000;

/// Whether `body` holds at most `max` JSON values (counted from the structural characters
/// outside strings: every `[` and `{` opens one, every `,` separates one more). Malformed JSON
/// is left to the parser.
pub fn within(body: &[u8], max: usize) -> bool {
    let mut values = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' | b',' => {
                values += 1;
                if values > max {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_counted_outside_strings_only() {
        assert!(within(br#"{"a":[1,2,3]}"#, 5));
        assert!(!within(br#"{"a":[1,2,3]}"#, 4));
        // Brackets and commas inside strings (escaped quotes too) are text, not values.
        assert!(within(br#"{"text":"[[[,,,{{{ \" ,,, ]]]"}"#, 2));
        let nested = "[],".repeat(200_000);
        assert!(!within(format!("[{nested}[]]").as_bytes(), MAX_VALUES));
    }
}

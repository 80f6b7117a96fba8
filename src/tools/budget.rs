//! Result budgets: with default arguments no tool result exceeds [`TEXT_BUDGET`] bytes of
//! text (the compact JSON of `structuredContent`, which is also the text content), so one
//! answer cannot flood an agent's context. A larger answer is cut at a natural boundary
//! (entries, lines, rows), says so, and says how to get the rest; explicit arguments may ask
//! for more, up to each tool's documented maximum.

use serde::Serialize;

/// The default budget of one result's text, in bytes.
pub const TEXT_BUDGET: usize = 16 * 1024;

/// The length of `value` as compact JSON, the way the result's text is written.
pub fn encoded_len(value: &impl Serialize) -> usize {
    serde_json::to_vec(value)
        .map(|bytes| bytes.len())
        .unwrap_or(0)
}

/// Keeps items from the front while their encoded lengths (plus a comma each) stay within
/// `budget`; returns them and how many were left out. At least one item is kept when there is
/// one, so a single large entry is still shown (the tool cuts inside it if it must).
pub fn take_within<T: Serialize>(items: Vec<T>, budget: usize) -> (Vec<T>, usize) {
    let total = items.len();
    let mut used = 0;
    let mut kept = Vec::new();
    for item in items {
        let size = encoded_len(&item) + 1;
        if !kept.is_empty() && used + size > budget {
            break;
        }
        used += size;
        kept.push(item);
    }
    let left_out = total - kept.len();
    (kept, left_out)
}

/// Cuts `text` to at most `budget` bytes at a line end (or a char boundary when one line is
/// longer), and says whether it was cut.
pub fn cut_text(text: &str, budget: usize) -> (&str, bool) {
    if text.len() <= budget {
        return (text, false);
    }
    let end = text.floor_char_boundary(budget);
    let cut = match text[..end].rfind('\n') {
        Some(line_end) if line_end > 0 => &text[..=line_end],
        _ => &text[..end],
    };
    (cut, true)
}

/// The longest start of `text` (cut at a line end where there is one) whose JSON string
/// encoding, quotes and escapes included, takes at most `room` bytes.
pub fn cut_to_encoded(text: &str, room: usize) -> &str {
    let mut limit = room.min(text.len());
    // Ends: each turn cuts at least one byte more, and an empty cut returns.
    loop {
        let (cut, _) = cut_text(text, limit);
        let over = encoded_len(&cut).saturating_sub(room);
        if over == 0 || cut.is_empty() {
            return cut;
        }
        limit = cut.len().saturating_sub(over);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_kept_while_they_fit_and_one_always_is() {
        let items: Vec<String> = (0..10).map(|i| format!("item-{i}")).collect();
        // Each encodes as `"item-N"` (8 bytes) plus a comma.
        let (kept, left_out) = take_within(items.clone(), 30);
        assert_eq!((kept.len(), left_out), (3, 7));
        let (kept, left_out) = take_within(items, 1);
        assert_eq!((kept.len(), left_out), (1, 9));
        let (kept, left_out) = take_within(Vec::<String>::new(), 10);
        assert_eq!((kept.len(), left_out), (0, 0));
    }

    #[test]
    fn text_is_cut_at_a_line_end_or_a_char_boundary() {
        assert_eq!(cut_text("a\nb\nc\n", 100), ("a\nb\nc\n", false));
        assert_eq!(cut_text("a\nbb\ncc\n", 6), ("a\nbb\n", true));
        assert_eq!(cut_text("ééé", 3), ("é", true));
    }

    #[test]
    fn text_is_cut_so_its_json_encoding_fits() {
        // Quotes and newlines take two bytes each once encoded.
        let text = "a\"b\nc\"d\nefgh\n";
        assert_eq!(cut_to_encoded(text, 100), text);
        let cut = cut_to_encoded(text, 12);
        assert_eq!(cut, "a\"b\n");
        assert!(encoded_len(&cut) <= 12);
        assert_eq!(cut_to_encoded("\"\"\"", 3), "");
    }
}

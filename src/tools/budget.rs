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
    let mut end = budget;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = match text[..end].rfind('\n') {
        Some(line_end) if line_end > 0 => &text[..=line_end],
        _ => &text[..end],
    };
    (cut, true)
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
}

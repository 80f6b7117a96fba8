//! The text encodings the object tools read and write: utf-8, ascii and latin-1, named
//! forgivingly; bytes that are not valid in one are an error naming their offset, never
//! replaced silently.

use crate::tools::ToolError;

/// A text encoding the object tools read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    Utf8,
    Ascii,
    Latin1,
}

impl TextEncoding {
    /// Reads an encoding's name (case and `-`/`_` do not matter); `field` names the argument.
    pub(crate) fn parse_field(field: &str, name: &str) -> Result<Self, ToolError> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "ascii" | "us-ascii" => Ok(TextEncoding::Ascii),
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" => Ok(TextEncoding::Latin1),
            _ => Err(ToolError::invalid(
                field,
                format!(
                    "{name:?} is not supported; use utf-8, ascii or latin-1 (bucket_object_fetch returns raw bytes)"
                ),
            )),
        }
    }

    /// The canonical name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Ascii => "ascii",
            TextEncoding::Latin1 => "latin-1",
        }
    }

    /// The bytes of `text`, or the first character this encoding cannot hold.
    pub(crate) fn encode(self, text: &str) -> Result<Vec<u8>, char> {
        match self {
            TextEncoding::Utf8 => Ok(text.as_bytes().to_vec()),
            TextEncoding::Ascii => text
                .chars()
                .map(|c| if c.is_ascii() { Ok(c as u8) } else { Err(c) })
                .collect(),
            TextEncoding::Latin1 => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).map_err(|_| c))
                .collect(),
        }
    }

    /// How many bytes `text` takes in this encoding.
    pub(crate) fn byte_len(self, text: &str) -> usize {
        match self {
            TextEncoding::Latin1 => text.chars().count(),
            TextEncoding::Utf8 | TextEncoding::Ascii => text.len(),
        }
    }

    /// The text, or the offset and value of the first byte that is not valid in this encoding.
    pub(crate) fn decode(self, bytes: &[u8]) -> Result<String, (usize, u8)> {
        let bad_at = |offset: usize| (offset, bytes.get(offset).copied().unwrap_or(0));
        match self {
            TextEncoding::Utf8 => std::str::from_utf8(bytes)
                .map(str::to_string)
                .map_err(|e| bad_at(e.valid_up_to())),
            TextEncoding::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
                Some(offset) => Err(bad_at(offset)),
                None => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
            },
            // Every byte is a latin-1 character, the same code point in Unicode.
            TextEncoding::Latin1 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_decode_or_name_the_bad_byte() {
        let latin1 = b"pr\xe9lev\xe9 \xb14 \xb0C";
        assert_eq!(
            TextEncoding::Latin1.decode(latin1).unwrap(),
            "prélevé ±4 °C"
        );
        assert_eq!(TextEncoding::Utf8.decode(latin1), Err((2, 0xE9)));
        assert_eq!(TextEncoding::Ascii.decode(b"ok\x80"), Err((2, 0x80)));
        assert_eq!(
            TextEncoding::Utf8.decode("naïve".as_bytes()).unwrap(),
            "naïve"
        );
        assert_eq!(TextEncoding::Latin1.encode("é±").unwrap(), vec![0xE9, 0xB1]);
        assert_eq!(TextEncoding::Latin1.encode("€"), Err('€'));
        assert_eq!(TextEncoding::Ascii.encode("é"), Err('é'));
    }

    #[test]
    fn encoding_names_are_forgiving_but_unknown_ones_are_refused() {
        for name in ["UTF-8", "utf8", "Latin_1", "ISO-8859-1", "us-ascii"] {
            assert!(
                TextEncoding::parse_field("encoding", name).is_ok(),
                "{name}"
            );
        }
        let error = TextEncoding::parse_field("encoding", "shift-jis")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("encoding") && error.contains("latin-1"),
            "{error}"
        );
    }
}

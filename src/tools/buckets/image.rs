//! Images an agent can see: a PNG, JPEG, GIF or WebP object small enough goes back as an MCP
//! `image` content block (see `tools::IMAGES_KEY`) rather than base64 inside the JSON text,
//! which no client shows as a picture.

/// The largest image sent as a content block: one block is read by a model, and its base64 is
/// a third larger than this.
pub const IMAGE_MAX_BYTES: u64 = 1024 * 1024;

/// Whether a key's extension says image, so the read is sized for the whole picture.
pub fn image_key(key: &str) -> bool {
    let Some((_, extension)) = key.rsplit_once('.') else {
        return false;
    };
    ["png", "jpg", "jpeg", "gif", "webp"]
        .iter()
        .any(|known| extension.eq_ignore_ascii_case(known))
}

/// The MIME type of an image by its first bytes (the extension or a stored content type may
/// lie; a client shown bytes under the wrong type shows nothing).
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_keys_by_extension() {
        for key in ["a/b.png", "x.JPG", "y.jpeg", "z.gif", "w.WebP"] {
            assert!(image_key(key), "{key}");
        }
        for key in ["a/b.pngx", "png", "a.tiff", "a.svg", "dir.png/file"] {
            assert!(!image_key(key), "{key}");
        }
    }

    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"not an image"), None);
        assert_eq!(sniff(b""), None);
    }
}

//! W3C Trace Context (`traceparent`) for catalog calls, derived from our request id, so the
//! registry's logs can be joined with ours: the trace id is the request id when it is hex (our
//! own ids are 32 hex digits; a UUID's dashes are dropped; shorter ones are left-padded with
//! zeros), else the first 128 bits of its SHA-256. Each call gets a fresh random span id.
//! <https://www.w3.org/TR/trace-context/#traceparent-header>

use sha2::{Digest, Sha256};

/// `00-<trace id>-<span id>-01` for the request `request_id`.
pub fn traceparent(request_id: &str) -> String {
    format!("00-{}-{}-01", trace_id(request_id), span_id())
}

/// 32 lowercase hex digits, never all zeros (an invalid trace id).
pub fn trace_id(request_id: &str) -> String {
    let hex: String = request_id
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let usable = !hex.is_empty()
        && hex.len() <= 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && hex.bytes().any(|b| b != b'0');
    if usable {
        return format!("{hex:0>32}");
    }
    let digest = Sha256::digest(request_id.as_bytes());
    let id = hex_of(&digest[..16]);
    // A digest of sixteen zero bytes is as likely as guessing the key; still, stay valid.
    match id.bytes().all(|b| b == b'0') {
        true => format!("{:0>32}", 1),
        false => id,
    }
}

/// 16 random lowercase hex digits, never all zeros.
fn span_id() -> String {
    let random = uuid::Uuid::new_v4();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&random.as_bytes()[..8]);
    if bytes == [0; 8] {
        bytes[7] = 1;
    }
    hex_of(&bytes)
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_come_from_the_request_id() {
        let ours = "0af7651916cd43dd8448eb211c80319c";
        assert_eq!(trace_id(ours), ours);
        assert_eq!(trace_id("0AF7651916CD43DD8448EB211C80319C"), ours);
        assert_eq!(trace_id("abc"), format!("{:0>32}", "abc"));
        assert_eq!(trace_id("0af76519-16cd-43dd-8448-eb211c80319c"), ours);
        let hashed = trace_id("client.request_42");
        assert_eq!(hashed.len(), 32);
        assert!(hashed.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(hashed, trace_id("client.request_42"), "stable");
        assert_ne!(trace_id("000"), format!("{:0>32}", 0));
    }

    #[test]
    fn each_call_has_its_own_span() {
        let a = traceparent("r1");
        let b = traceparent("r1");
        assert_eq!(a.len(), 55);
        assert_eq!(a[..36], b[..36]);
        assert_ne!(a[36..52], b[36..52]);
        assert!(a.starts_with("00-") && a.ends_with("-01"));
    }
}

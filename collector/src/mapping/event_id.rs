//! Stable ids for events that arrive without one, so that re-delivery still stores them once.

/// A stable id for a message without an id of its own: `origin` (e.g. `http`, or
/// `kafka:topic/partition/offset`) and a 128-bit FNV-1a hash of its bytes.
///
/// Hand-written rather than `std`'s hasher because it must never change between releases:
/// stored ids depend on it.
pub fn derive_event_id(origin: &str, bytes: &[u8]) -> String {
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    for &b in origin.as_bytes().iter().chain(&[0]).chain(bytes) {
        hash ^= u128::from(b);
        hash = hash.wrapping_mul(PRIME);
    }
    format!("{origin}:{hash:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_id_and_origin_matters() {
        let a = derive_event_id("http", b"{\"type\":\"x\"}");
        assert_eq!(a, derive_event_id("http", b"{\"type\":\"x\"}"));
        assert_ne!(a, derive_event_id("http", b"{\"type\":\"y\"}"));
        assert_ne!(a, derive_event_id("file", b"{\"type\":\"x\"}"));
        assert!(a.starts_with("http:"));
    }
}

//! Property tests over the protocol layer's request decoders: any body decodes or fails
//! cleanly, never panics or overflows the stack (see `crates/item/tests/properties.rs` for why
//! proptest).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../item/tests/common/corpus.rs"]
mod corpus;

use proptest::prelude::*;

const HERE: &str = env!("CARGO_MANIFEST_DIR");

/// What the server does with a body of each protocol before a service sees it.
fn decode_json(body: &[u8]) -> bool {
    let _ = protocol::json::parse::<serde_json::Value>(body);
    protocol::json::decode_tree(body).is_some()
}

#[test]
fn the_corpus_replays() {
    for body in corpus::files(HERE, "json") {
        assert!(decode_json(&body), "{}", String::from_utf8_lossy(&body));
    }
    for body in corpus::files(HERE, "cbor") {
        assert!(protocol::cbor::decode_tree(&body).is_some());
    }
    for body in corpus::files(HERE, "query") {
        let (action, _) = protocol::query::decode_tree(&body);
        assert!(action.is_some(), "{}", String::from_utf8_lossy(&body));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn edited_json_bodies_decode_or_fail_cleanly(
        seed in prop::sample::select(corpus::files(HERE, "json")),
        edits in corpus::edits(),
    ) {
        decode_json(&corpus::apply(&seed, &edits));
    }

    #[test]
    fn edited_cbor_bodies_decode_or_fail_cleanly(
        seed in prop::sample::select(corpus::files(HERE, "cbor")),
        edits in corpus::edits(),
    ) {
        let _ = protocol::cbor::decode_tree(&corpus::apply(&seed, &edits));
    }

    #[test]
    fn edited_query_forms_decode_or_fail_cleanly(
        seed in prop::sample::select(corpus::files(HERE, "query")),
        edits in corpus::edits(),
    ) {
        let _ = protocol::query::decode_tree(&corpus::apply(&seed, &edits));
    }
}

proptest! {
    #[test]
    fn cbor_bodies_decode_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let _ = protocol::cbor::decode_tree(&bytes);
    }

    #[test]
    fn cbor_trees_survive_encoding(s in "[a-z]{0,10}", n in any::<i64>(), f in -1e9f64..1e9) {
        use protocol::tree::V;
        let v = V::map()
            .with("S", V::Str(s))
            .with("N", V::Int(n))
            .with("F", V::Float(f))
            .with("L", V::List(vec![V::Bool(true), V::map()]));
        prop_assert_eq!(protocol::cbor::decode_tree(&protocol::cbor::encode(&v)), Some(v));
    }

    #[test]
    fn query_forms_decode_without_failing(form in "([A-Za-z.0-9]{1,40}=[^&]{0,10}&){0,20}") {
        let _ = protocol::query::decode_tree(form.as_bytes());
    }

    #[test]
    fn json_bodies_decode_or_fail_cleanly(body in "\\PC{0,200}") {
        let _ = protocol::json::decode_tree(body.as_bytes());
        let _ = protocol::json::parse::<serde_json::Value>(body.as_bytes());
    }
}

#[test]
fn deeply_nested_cbor_is_refused() {
    let mut body = vec![0x81u8; 100_000]; // arrays of one element, nested
    body.push(0xa0);
    assert_eq!(protocol::cbor::decode_tree(&body), None);
}

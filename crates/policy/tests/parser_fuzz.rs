//! Property tests: the parser and the evaluator never panic, whatever they are given; deep
//! documents are refused before anything recurses through them; the wildcard matcher agrees
//! with a plain dynamic-programming model of `*` and `?`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy::{
    evaluate, message, wildcard, Caller, Context, Decision, Kind, Policies, Policy, Request,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        // Failures are reported, not written next to the sources.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------------

/// Short strings that are often meaningful to the evaluator (wildcards, variables, ARNs).
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("*".to_string()),
        Just("?".to_string()),
        Just("${aws:username}".to_string()),
        Just("${aws:PrincipalTag/team, 'x'}".to_string()),
        Just("${*}${?}${$}".to_string()),
        Just("${unterminated".to_string()),
        Just("arn:aws:dynamodb:us-east-1:123456789012:table/Books".to_string()),
        Just("arn:aws:dynamodb:*:*:table/*".to_string()),
        Just("arn:aws:iam::123456789012:root".to_string()),
        Just("123456789012".to_string()),
        Just("203.0.113.0/24".to_string()),
        Just("2001:DB8::/32".to_string()),
        Just("2020-01-01T00:00:00Z".to_string()),
        Just("1585699200".to_string()),
        Just("true".to_string()),
        "[a-zA-Z0-9:/*?$.{}, '_-]{0,24}",
        any::<String>(),
    ]
}

fn operator_name() -> impl Strategy<Value = String> {
    let bases = prop::sample::select(vec![
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
        // Not AWS's: parsing must refuse them, not panic.
        "StringEqualz",
        "",
    ]);
    let qualifier = prop::sample::select(vec![
        "",
        "",
        "ForAllValues:",
        "ForAnyValue:",
        "ForSomeValues:",
    ]);
    let suffix = prop::sample::select(vec!["", "", "IfExists"]);
    (qualifier, bases, suffix).prop_map(|(q, b, s)| format!("{q}{b}{s}"))
}

fn condition_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "aws:username",
            "AWS:UserName",
            "aws:SourceIp",
            "aws:CurrentTime",
            "aws:SecureTransport",
            "aws:TagKeys",
            "aws:PrincipalTag/team",
            "aws:RequestTag/env",
            "dynamodb:LeadingKeys",
            "dynamodb:Attributes",
            "dynamodb:Select",
            "kms:ViaService",
            "kms:EncryptionContext:AppName",
            "s3:max-keys",
        ])
        .prop_map(str::to_string),
        "[a-z]{1,6}:[A-Za-z/]{1,8}",
    ]
}

/// A condition value as JSON: a scalar or a list of scalars (sometimes not scalars at all).
fn condition_values() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        token().prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    prop_oneof![
        scalar.clone(),
        prop::collection::vec(scalar, 0..4).prop_map(Value::Array),
    ]
}

fn string_or_list() -> impl Strategy<Value = Value> {
    prop_oneof![
        token().prop_map(Value::String),
        prop::collection::vec(token().prop_map(Value::String), 0..4).prop_map(Value::Array),
    ]
}

fn principal() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::String("*".into())),
        (
            prop::sample::select(vec![
                "AWS",
                "Service",
                "Federated",
                "CanonicalUser",
                "Bogus"
            ]),
            string_or_list()
        )
            .prop_map(|(kind, ids)| {
                let mut m = Map::new();
                m.insert(kind.to_string(), ids);
                Value::Object(m)
            }),
        token().prop_map(Value::String),
    ]
}

fn condition_block() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        (
            operator_name(),
            prop::collection::vec((condition_key(), condition_values()), 0..3),
        ),
        0..3,
    )
    .prop_map(|ops| {
        let mut block = Map::new();
        for (op, keys) in ops {
            let keys: Map<String, Value> = keys.into_iter().collect();
            block.insert(op, Value::Object(keys));
        }
        Value::Object(block)
    })
}

/// A statement shaped like a policy's, with every element optional or swapped for its `Not`
/// form, and the effect sometimes misspelt.
fn statement() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["Allow", "Deny", "allow", ""]),
        prop::option::of((any::<bool>(), string_or_list())),
        prop::option::of((any::<bool>(), string_or_list())),
        prop::option::of((any::<bool>(), principal())),
        prop::option::of(condition_block()),
        prop::option::of(token()),
    )
        .prop_map(|(effect, action, resource, principal, condition, sid)| {
            let mut s = Map::new();
            s.insert("Effect".into(), Value::String(effect.into()));
            if let Some((not, a)) = action {
                s.insert(if not { "NotAction" } else { "Action" }.into(), a);
            }
            if let Some((not, r)) = resource {
                s.insert(if not { "NotResource" } else { "Resource" }.into(), r);
            }
            if let Some((not, p)) = principal {
                s.insert(if not { "NotPrincipal" } else { "Principal" }.into(), p);
            }
            if let Some(c) = condition {
                s.insert("Condition".into(), c);
            }
            if let Some(sid) = sid {
                s.insert("Sid".into(), Value::String(sid));
            }
            Value::Object(s)
        })
}

fn policy_shaped() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::sample::select(vec!["2012-10-17", "2008-10-17"])),
        prop_oneof![
            prop::collection::vec(statement(), 0..4).prop_map(Value::Array),
            statement(),
        ],
    )
        .prop_map(|(version, statements)| {
            let mut doc = Map::new();
            if let Some(v) = version {
                doc.insert("Version".into(), Value::String(v.into()));
            }
            doc.insert("Statement".into(), statements);
            Value::Object(doc)
        })
}

/// Any JSON tree: objects (with keys a policy uses, often), arrays, strings, numbers, booleans.
fn json_tree() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        token().prop_map(Value::String),
    ];
    let key = prop_oneof![
        prop::sample::select(vec![
            "Version",
            "Statement",
            "Sid",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Principal",
            "NotPrincipal",
            "Condition",
            "AWS",
            "Service",
            "StringEquals",
            "ForAllValues:StringLike",
            "Null",
        ])
        .prop_map(str::to_string),
        "[A-Za-z:]{0,12}",
    ];
    leaf.prop_recursive(10, 128, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A statement that IAM would store: the parser must accept it.
fn valid_statement() -> impl Strategy<Value = Value> {
    let op = (
        prop::sample::select(vec!["", "ForAllValues:", "ForAnyValue:"]),
        prop::sample::select(vec![
            "StringEquals",
            "StringNotLike",
            "StringEqualsIgnoreCase",
            "NumericLessThan",
            "DateGreaterThan",
            "Bool",
            "BinaryEquals",
            "IpAddress",
            "NotIpAddress",
            "ArnLike",
            "ArnNotEquals",
        ]),
        prop::sample::select(vec!["", "IfExists"]),
    )
        .prop_map(|(q, b, s)| format!("{q}{b}{s}"));
    let op = prop_oneof![op, Just("Null".to_string())];
    let scalar = prop_oneof![
        token().prop_map(Value::String),
        any::<i32>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
    ];
    let values = prop_oneof![
        scalar.clone(),
        prop::collection::vec(scalar, 0..3).prop_map(Value::Array)
    ];
    let strings = prop_oneof![
        token().prop_map(Value::String),
        prop::collection::vec(token().prop_map(Value::String), 0..3).prop_map(Value::Array),
    ];
    (
        any::<bool>(),
        any::<bool>(),
        strings.clone(),
        prop::option::of((any::<bool>(), strings.clone())),
        prop::option::of((
            any::<bool>(),
            prop_oneof![
                Just(Value::String("*".into())),
                strings.clone().prop_map(|ids| {
                    let mut m = Map::new();
                    m.insert("AWS".into(), ids);
                    Value::Object(m)
                }),
                strings.prop_map(|ids| {
                    let mut m = Map::new();
                    m.insert("Service".into(), ids);
                    Value::Object(m)
                }),
            ],
        )),
        prop::collection::vec(
            (op, prop::collection::vec((condition_key(), values), 1..3)),
            0..3,
        ),
    )
        .prop_map(
            |(allow, not_action, action, resource, principal, conditions)| {
                let mut s = Map::new();
                s.insert(
                    "Effect".into(),
                    Value::String(if allow { "Allow" } else { "Deny" }.into()),
                );
                s.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    action,
                );
                if let Some((not, r)) = resource {
                    s.insert(if not { "NotResource" } else { "Resource" }.into(), r);
                }
                if let Some((not, p)) = principal {
                    s.insert(if not { "NotPrincipal" } else { "Principal" }.into(), p);
                }
                if !conditions.is_empty() {
                    let mut block = Map::new();
                    for (op, keys) in conditions {
                        block.insert(op, Value::Object(keys.into_iter().collect()));
                    }
                    s.insert("Condition".into(), Value::Object(block));
                }
                Value::Object(s)
            },
        )
}

fn valid_policy() -> impl Strategy<Value = Value> {
    prop::collection::vec(valid_statement(), 0..4).prop_map(|statements| {
        let mut doc = Map::new();
        doc.insert("Version".into(), Value::String("2012-10-17".into()));
        doc.insert("Statement".into(), Value::Array(statements));
        Value::Object(doc)
    })
}

#[derive(Debug, Clone)]
struct RandomRequest {
    caller: Caller,
    action: String,
    resource: String,
    context: Vec<(String, Vec<String>)>,
    resource_policy_required: bool,
}

fn random_caller() -> impl Strategy<Value = Caller> {
    prop_oneof![
        Just(Caller::root("123456789012")),
        "[a-zA-Z*?]{0,8}".prop_map(|name| Caller {
            kind: Kind::User,
            arn: format!("arn:aws:iam::123456789012:user/{name}"),
            ..Caller::root("123456789012")
        }),
        ("[a-z]{1,6}", "[a-z0-9]{0,6}").prop_map(|(role, session)| Caller {
            kind: Kind::AssumedRole,
            arn: format!("arn:aws:sts::444455556666:assumed-role/{role}/{session}"),
            role_arn: Some(format!("arn:aws:iam::444455556666:role/{role}")),
            ..Caller::root("444455556666")
        }),
        prop::sample::select(vec!["sns.amazonaws.com", "dynamodb.amazonaws.com", ""]).prop_map(
            |name| Caller {
                kind: Kind::Service,
                arn: name.into(),
                ..Caller::root("")
            }
        ),
        (any::<String>(), any::<String>()).prop_map(|(arn, account)| Caller {
            kind: Kind::User,
            arn,
            ..Caller::root(&account)
        }),
    ]
}

fn random_request() -> impl Strategy<Value = RandomRequest> {
    (
        random_caller(),
        prop_oneof![token(), "[a-z]{1,8}:[A-Za-z*?]{0,12}"],
        prop_oneof![
            token(),
            "arn:aws:[a-z*?]{0,6}:[a-z0-9-*?]{0,9}:[0-9*?]{0,12}:[a-zA-Z/*?:-]{0,20}"
        ],
        prop::collection::vec(
            (condition_key(), prop::collection::vec(token(), 0..3)),
            0..5,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(caller, action, resource, context, required)| RandomRequest {
                caller,
                action,
                resource,
                context,
                resource_policy_required: required,
            },
        )
}

/// Evaluates `policy` in every position a policy can take, and words any refusal.
fn evaluate_everywhere(policy: &Policy, req: &RandomRequest) -> Vec<Decision> {
    let mut context = Context::new();
    for (k, vs) in &req.context {
        context.set_all(k, vs.clone());
    }
    let request = Request {
        caller: &req.caller,
        action: &req.action,
        resource: &req.resource,
        context: &context,
    };
    let one = std::slice::from_ref(policy);
    let layouts = [
        Policies {
            identity: one,
            ..Policies::default()
        },
        Policies {
            resource: Some(policy),
            resource_policy_required: req.resource_policy_required,
            ..Policies::default()
        },
        Policies {
            identity: one,
            boundary: Some(policy),
            ..Policies::default()
        },
        Policies {
            identity: one,
            session: one,
            ..Policies::default()
        },
        Policies {
            identity: one,
            resource: Some(policy),
            boundary: Some(policy),
            session: one,
            resource_policy_required: req.resource_policy_required,
        },
    ];
    layouts
        .iter()
        .map(|p| {
            let d = evaluate(p, &request);
            if let Decision::Deny(denial) = d {
                let text = message(&req.caller.arn, &req.action, &req.resource, denial);
                assert!(text.starts_with("User: "));
            }
            d
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// (a) and (b): parsing never panics; what parses evaluates.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_string_parses_or_fails_cleanly(text in any::<String>()) {
        let _ = Policy::parse(&text);
    }

    #[test]
    fn json_alphabet_soup_parses_or_fails_cleanly(
        text in r#"[\[\]{}":, \\0-9a-zA-Z*?$.eE+-]{0,400}"#
    ) {
        let _ = Policy::parse(&text);
    }

    #[test]
    fn arbitrary_bytes_parse_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Policy::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mangled_policy_text_parses_or_fails_cleanly(
        doc in policy_shaped(),
        cut in any::<prop::sample::Index>(),
        junk in r#"[\[\]{}":,\\]{0,3}"#,
    ) {
        // A policy's text cut somewhere and spliced with junk.
        let text = serde_json::to_string(&doc).unwrap_or_default();
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mangled = format!("{}{junk}{}", &text[..at], &text[at..]);
        let _ = Policy::parse(&mangled);
    }

    #[test]
    fn json_trees_parse_or_fail_and_evaluate(tree in json_tree(), req in random_request()) {
        let text = serde_json::to_string(&tree).unwrap_or_default();
        if let Ok(policy) = Policy::parse(&text) {
            let _ = evaluate_everywhere(&policy, &req);
        }
        // Whatever `parse` says, `from_value` says the same.
        prop_assert_eq!(
            Policy::parse(&text).is_ok(),
            Policy::from_value(&tree).is_ok() && text.len() <= 128 * 1024
        );
    }

    #[test]
    fn policy_shaped_documents_parse_or_fail_and_evaluate(
        doc in policy_shaped(),
        req in random_request(),
    ) {
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        if let Ok(policy) = Policy::parse(&text) {
            let _ = evaluate_everywhere(&policy, &req);
        }
    }

    #[test]
    fn valid_policies_parse_and_evaluate(doc in valid_policy(), req in random_request()) {
        let text = serde_json::to_string(&doc).unwrap_or_default();
        let parsed = Policy::parse(&text);
        prop_assert!(parsed.is_ok(), "{:?} for {}", parsed, text);
        if let Ok(policy) = parsed {
            let decisions = evaluate_everywhere(&policy, &req);
            // A policy with no statement grants nothing to anyone but the root.
            if policy.statements.is_empty() && req.caller.kind != Kind::Root {
                prop_assert!(decisions.iter().all(|d| *d != Decision::Allow));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (c) Depth is bounded before anything recurses.
// ---------------------------------------------------------------------------------------------

/// Runs `f` on a thread with a small stack: a parser that recursed per nesting level would
/// overflow it long before 100,000 levels.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn");
    assert!(handle.join().is_ok(), "the parse panicked or overflowed");
}

#[test]
fn deep_arrays_are_refused() {
    on_small_stack(|| {
        let deep = "[".repeat(100_000);
        assert!(Policy::parse(&deep).is_err());
        let balanced = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(Policy::parse(&balanced).is_err());
    });
}

#[test]
fn deep_objects_are_refused() {
    on_small_stack(|| {
        let deep = format!("{}1{}", r#"{"a":"#.repeat(50_000), "}".repeat(50_000));
        assert!(Policy::parse(&deep).is_err());
    });
}

#[test]
fn deep_nesting_inside_a_policy_is_refused() {
    on_small_stack(|| {
        let values = format!("{}\"v\"{}", "[".repeat(100_000), "]".repeat(100_000));
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*",
            "Condition":{{"StringEquals":{{"aws:username":{values}}}}}}}]}}"#
        );
        assert!(Policy::parse(&doc).is_err());
    });
}

#[test]
fn closing_brackets_first_do_not_hide_depth() {
    on_small_stack(|| {
        let sneaky = format!("{}{}", "]}".repeat(1_000), "[{\"a\":".repeat(60_000));
        assert!(Policy::parse(&sneaky).is_err());
    });
}

#[test]
fn escapes_do_not_hide_depth() {
    on_small_stack(|| {
        // A string ending in an escaped backslash closes; the brackets after it count.
        let doc = format!(r#"["\\", {}"#, "[".repeat(100_000));
        assert!(Policy::parse(&doc).is_err());
    });
}

#[test]
fn brackets_inside_strings_are_not_nesting() {
    on_small_stack(|| {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{}","Resource":"*"}}}}"#,
            "[{".repeat(1_000)
        );
        assert!(Policy::parse(&doc).is_ok());
    });
}

#[test]
fn depth_limit_sits_well_above_real_policies() {
    on_small_stack(|| {
        // The deepest element of a real policy (a condition value list) is five levels.
        let real = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
            "Principal":{"AWS":["123456789012"]},
            "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}}]}"#;
        assert!(Policy::parse(real).is_ok());
        // Somewhere between that and absurd, a nest is refused before parsing.
        let refused = (6..=64).find(|&depth| {
            let doc = format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":"*","Sid":{}0{}}}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            );
            Policy::parse(&doc).is_err()
        });
        assert!(refused.is_some(), "no depth up to 64 refused");
    });
}

#[test]
fn oversized_documents_are_refused_unread() {
    let big = format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":"*","Resource":"{}"}}}}"#,
        "a".repeat(200 * 1024)
    );
    assert!(Policy::parse(&big).is_err());
}

// ---------------------------------------------------------------------------------------------
// (d) The wildcard matcher: never panics, agrees with a model, and evaluation with random
// wildcard patterns never panics.
// ---------------------------------------------------------------------------------------------

/// `*` any run, `?` exactly one character, everything else itself: dynamic programming over
/// prefixes.
fn model_matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| a == b || (ignore_case && a.to_lowercase().eq(b.to_lowercase()));
    // m[j]: p[..i] matches t[..j].
    let mut m = vec![false; t.len() + 1];
    m[0] = true;
    for &pc in &p {
        let mut next = vec![false; t.len() + 1];
        if pc == '*' {
            let mut any = false;
            for j in 0..=t.len() {
                any |= m[j];
                next[j] = any;
            }
        } else {
            for j in 1..=t.len() {
                next[j] = m[j - 1] && (pc == '?' || same(pc, t[j - 1]));
            }
        }
        m = next;
    }
    m[t.len()]
}

/// ArnLike as the Condition operators page puts it: "Each of the six colon-delimited
/// components of the ARN is checked separately".
fn model_arn_like(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    p.len() == 6 && a.len() == 6 && p.iter().zip(&a).all(|(p, a)| model_matches(p, a, false))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn wildcard_matches_the_model(
        pattern in "[aAb*?:/]{0,16}",
        text in "[aAbB:/]{0,24}",
        ignore_case in any::<bool>(),
    ) {
        prop_assert_eq!(
            wildcard::matches(&pattern, &text, ignore_case),
            model_matches(&pattern, &text, ignore_case),
            "pattern {:?} text {:?} ignore_case {}", pattern, text, ignore_case
        );
    }

    #[test]
    fn wildcard_never_panics_on_any_text(pattern in any::<String>(), text in any::<String>(), ic in any::<bool>()) {
        let _ = wildcard::matches(&pattern, &text, ic);
        let _ = wildcard::arn_matches(&pattern, &text);
    }

    #[test]
    fn a_literal_pattern_matches_only_itself(text in "[a-zA-Z0-9:/_-]{0,24}", other in "[a-zA-Z0-9:/_-]{0,24}") {
        prop_assert!(wildcard::matches(&text, &text, false));
        prop_assert_eq!(wildcard::matches(&text, &other, false), text == other);
    }

    #[test]
    fn arn_like_matches_the_model(
        pattern in "(arn|a\\*|\\*):(aws|\\*|a\\?s):[a-z*?]{0,4}:[a-z0-9*?-]{0,4}:[0-9*?]{0,4}:[a-z/:*?]{0,10}",
        arn in "arn:aws:[a-z]{0,4}:[a-z0-9-]{0,4}:[0-9]{0,4}:[a-z/:]{0,10}",
    ) {
        prop_assert_eq!(wildcard::arn_matches(&pattern, &arn), model_arn_like(&pattern, &arn));
    }

    #[test]
    fn wildcard_patterns_evaluate_without_panic(
        action_pattern in "[a-zA-Z*?:]{0,16}",
        resource_pattern in "[a-z0-9*?:/${}]{0,40}",
        action in "[a-zA-Z:]{0,16}",
        resource in "[a-z0-9*?:/]{0,40}",
        effect in prop::sample::select(vec!["Allow", "Deny"]),
        not_action in any::<bool>(),
        not_resource in any::<bool>(),
        req in random_request(),
    ) {
        let doc = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": effect,
                (if not_action { "NotAction" } else { "Action" }): action_pattern,
                (if not_resource { "NotResource" } else { "Resource" }): resource_pattern,
            }]
        });
        let policy = Policy::parse(&doc.to_string());
        prop_assert!(policy.is_ok(), "{:?}", policy);
        if let Ok(policy) = policy {
            let req = RandomRequest { action, resource, ..req };
            let _ = evaluate_everywhere(&policy, &req);
        }
    }

    #[test]
    fn an_exact_statement_allows_its_own_request(
        action in "[a-z]{1,8}:[A-Za-z]{1,12}",
        // In the caller's account (or none): across accounts a resource policy must grant too.
        resource in "arn:aws:[a-z]{1,6}:[a-z0-9-]{0,9}:(123456789012)?:[a-zA-Z/:-]{1,20}",
    ) {
        let doc = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": action, "Resource": resource}
        });
        let policy = Policy::parse(&doc.to_string()).unwrap();
        let caller = Caller {
            kind: Kind::User,
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            ..Caller::root("123456789012")
        };
        let context = Context::new();
        let request = Request { caller: &caller, action: &action, resource: &resource, context: &context };
        let policies = Policies { identity: std::slice::from_ref(&policy), ..Policies::default() };
        prop_assert_eq!(evaluate(&policies, &request), Decision::Allow);
        // The same action in other case is still the action.
        let upper = action.to_uppercase();
        let request = Request { action: &upper, ..request };
        prop_assert_eq!(evaluate(&policies, &request), Decision::Allow);
    }
}

#[test]
fn pathological_wildcards_stay_fast() {
    let pattern = format!("{}b", "*a".repeat(500));
    let text = "a".repeat(5_000);
    let start = std::time::Instant::now();
    assert!(!wildcard::matches(&pattern, &text, false));
    assert!(!wildcard::matches(&pattern, &text, true));
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

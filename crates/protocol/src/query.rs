//! awsQuery: form-encoded requests (`Action=…&Version=…&Param.member.1=…`) and XML responses,
//! as STS, IAM and CloudWatch (for Terraform) speak it.

use std::collections::BTreeMap;

use crate::tree::V;
use crate::xml::{escape, escape_into};
use crate::Reply;

pub const CONTENT_TYPE: &str = "text/xml";

pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `<{Action}Response xmlns=…><{Action}Result>…</…><ResponseMetadata>…`.
pub fn respond(action: &str, xmlns: &str, result: &str, request_id: &str) -> Reply {
    let body = format!(
        "<{action}Response xmlns=\"{xmlns}\">\n  <{action}Result>{result}</{action}Result>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n"
    );
    Reply::new(200, CONTENT_TYPE, body.into_bytes())
}

/// `<ErrorResponse xmlns=…><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`;
/// `kind` is `Sender` or `Receiver`. Some services name their namespace on it, others do not.
pub fn error(
    status: u16,
    xmlns: Option<&str>,
    kind: &str,
    code: &str,
    message: &str,
    request_id: &str,
) -> Reply {
    let open = match xmlns {
        Some(ns) => format!("<ErrorResponse xmlns=\"{ns}\">"),
        None => "<ErrorResponse>".to_string(),
    };
    let body = format!(
        "{open}\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        escape(code),
        escape(message)
    );
    Reply::new(status, CONTENT_TYPE, body.into_bytes())
}

/// Dotted parts of a form name followed at most (CloudWatch's deepest shapes take about 10).
const MAX_NAME_DEPTH: usize = 64;

/// awsQuery form → (Action, request tree). Dotted names nest; `X.member.N` makes lists
/// (ordered by N); `X.entry.N.key/value` makes maps as lists of {key, value}.
pub fn decode_tree(body: &[u8]) -> (Option<String>, V) {
    #[derive(Default)]
    struct Node {
        text: Option<String>,
        kids: BTreeMap<String, Node>,
    }
    let mut root = Node::default();
    let mut action = None;
    for (k, v) in form_urlencoded::parse(body) {
        if k == "Action" {
            action = Some(v.into_owned());
            continue;
        }
        if k == "Version" {
            continue;
        }
        // Each dot nests one level, and building, converting and dropping the tree recurse:
        // a name nested deeper than any AWS shape is ignored, not followed.
        if k.split('.').nth(MAX_NAME_DEPTH).is_some() {
            continue;
        }
        let mut node = &mut root;
        for seg in k.split('.') {
            node = node.kids.entry(seg.to_string()).or_default();
        }
        node.text = Some(v.into_owned());
    }
    fn convert(n: &Node) -> V {
        if n.kids.is_empty() {
            return V::Str(n.text.clone().unwrap_or_default());
        }
        if n.kids.len() == 1 {
            if let Some(members) = n.kids.get("member").or_else(|| n.kids.get("entry")) {
                let mut items: Vec<(u64, &Node)> = members
                    .kids
                    .iter()
                    .filter_map(|(i, c)| i.parse::<u64>().ok().map(|i| (i, c)))
                    .collect();
                if items.len() == members.kids.len() {
                    items.sort_by_key(|(i, _)| *i);
                    return V::List(items.into_iter().map(|(_, c)| convert(c)).collect());
                }
            }
        }
        V::Map(
            n.kids
                .iter()
                .map(|(k, c)| (k.clone(), convert(c)))
                .collect(),
        )
    }
    let tree = if root.kids.is_empty() {
        V::map()
    } else {
        convert(&root)
    };
    (action, tree)
}

/// A tree answer in awsQuery XML: `None` is an operation without an output shape.
pub fn respond_tree(op: &str, xmlns: &str, output: Option<&V>, request_id: &str) -> Reply {
    let mut body = format!("<{op}Response xmlns=\"{xmlns}\">\n");
    match output {
        Some(V::Map(m)) if m.is_empty() => {
            body.push_str(&format!("  <{op}Result/>\n"));
        }
        Some(V::Map(m)) => {
            body.push_str(&format!("  <{op}Result>\n"));
            for (k, x) in m {
                body.push_str("    ");
                xml_value(&mut body, k, x);
                body.push('\n');
            }
            body.push_str(&format!("  </{op}Result>\n"));
        }
        _ => {}
    }
    body.push_str(&format!(
        "  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</{op}Response>\n"
    ));
    Reply::new(200, CONTENT_TYPE, body.into_bytes())
}

/// Doubles as AWS's XML writes them: `80.0`, `0.5`, `1.0E7` stays readable as `10000000.0`.
pub fn xml_double(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

fn xml_value(out: &mut String, name: &str, v: &V) {
    if *v == V::Null {
        return;
    }
    let open = |out: &mut String| {
        out.push('<');
        out.push_str(name);
        out.push('>');
    };
    let close = |out: &mut String| {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    };
    match v {
        V::List(items) if items.is_empty() => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        V::List(items) => {
            open(out);
            for item in items {
                xml_value(out, "member", item);
            }
            close(out);
        }
        V::Map(members) => {
            open(out);
            for (k, x) in members {
                xml_value(out, k, x);
            }
            close(out);
        }
        scalar => {
            open(out);
            match scalar {
                V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                V::Int(i) => out.push_str(&i.to_string()),
                V::Float(f) => out.push_str(&xml_double(*f)),
                V::Ts(t) => out.push_str(&clock::rfc3339_millis((*t * 1000.0).round() as i64)),
                V::Str(s) => escape_into(s, out),
                _ => {}
            }
            close(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_and_frames_replies() {
        let p = parse_form(b"Action=GetCallerIdentity&Version=2011-06-15&X=a+b%26c");
        assert_eq!(param(&p, "Action"), Some("GetCallerIdentity"));
        assert_eq!(param(&p, "X"), Some("a b&c"));
        let r = respond("GetCallerIdentity", "ns", "<Account>1</Account>", "rid");
        let body = String::from_utf8(r.body).unwrap_or_default();
        assert!(body
            .contains("<GetCallerIdentityResult><Account>1</Account></GetCallerIdentityResult>"));
        let e = error(403, None, "Sender", "AccessDenied", "a<b", "rid");
        assert_eq!(e.status, 403);
        let body = String::from_utf8(e.body).unwrap_or_default();
        assert!(body.contains("<Code>AccessDenied</Code>\n    <Message>a&lt;b</Message>"));
    }

    #[test]
    fn query_forms_nest_into_lists_and_maps() {
        let (action, v) = decode_tree(
            b"Action=PutMetricAlarm&Version=2010-08-01&AlarmName=a+b&Dimensions.member.2.Name=N2&Dimensions.member.2.Value=v2&Dimensions.member.1.Name=N1&Dimensions.member.1.Value=v1&AlarmActions=&Threshold=80&Metrics.member.1.MetricStat.Metric.Dimensions.member.1.Name=T",
        );
        assert_eq!(action.as_deref(), Some("PutMetricAlarm"));
        assert_eq!(v.str("AlarmName").as_deref(), Some("a b"));
        let dims = v.list("Dimensions");
        assert_eq!(dims.len(), 2);
        assert_eq!(dims[0].str("Name").as_deref(), Some("N1"));
        assert_eq!(dims[1].str("Value").as_deref(), Some("v2"));
        assert!(v.list("AlarmActions").is_empty());
        assert_eq!(v.float("Threshold"), Ok(Some(80.0)));
        let m = v.list("Metrics");
        let stat = m[0].get("MetricStat").and_then(|s| s.get("Metric"));
        assert_eq!(stat.map(|s| s.list("Dimensions").len()), Some(1));
    }

    #[test]
    fn xml_shapes_follow_aws() {
        let out = V::map().with(
            "MetricAlarms",
            V::List(vec![V::map()
                .with("AlarmName", V::Str("a<b".into()))
                .with("Threshold", V::Float(80.0))
                .with("Dimensions", V::List(vec![]))
                .with("StateUpdatedTimestamp", V::Ts(0.0))]),
        );
        let xmlns = "http://monitoring.amazonaws.com/doc/2010-08-01/";
        let raw = respond_tree("DescribeAlarms", xmlns, Some(&out), "rid");
        let body = String::from_utf8(raw.body).unwrap_or_default();
        assert!(body.starts_with(
            "<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
        ));
        assert!(body.contains("<MetricAlarms><member><AlarmName>a&lt;b</AlarmName><Threshold>80.0</Threshold><Dimensions/><StateUpdatedTimestamp>1970-01-01T00:00:00.000Z</StateUpdatedTimestamp></member></MetricAlarms>"));
        assert!(body.contains("<RequestId>rid</RequestId>"));
        let raw = respond_tree("DeleteAlarms", xmlns, None, "rid");
        let body = String::from_utf8(raw.body).unwrap_or_default();
        assert!(!body.contains("Result"));
        assert_eq!(xml_double(0.5), "0.5");
        assert_eq!(xml_double(-3.0), "-3.0");
    }

    #[test]
    fn names_nested_past_any_shape_are_ignored_without_deep_recursion() {
        let deep = format!("Action=X&{}=1&Ok=2", vec!["a"; 100_000].join("."));
        let (action, v) = decode_tree(deep.as_bytes());
        assert_eq!(action.as_deref(), Some("X"));
        assert_eq!(v.str("Ok").as_deref(), Some("2"));
        assert!(v.get("a").is_none());
    }
}

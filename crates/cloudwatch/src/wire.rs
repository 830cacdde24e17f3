//! The three wire protocols: request decoding into [`V`] and response/error encoding.
//! - awsQuery: `Action=Op&Version=2010-08-01&AlarmNames.member.1=a&Dimensions.member.1.Name=…`;
//!   XML `<OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata>…`, lists as `<member>`.
//! - awsJson 1.0: `X-Amz-Target: GraniteServiceVersion20100801.Op`; timestamps epoch seconds.
//! - rpcv2Cbor: `POST /service/GraniteServiceVersion20100801/operation/Op`; CBOR maps,
//!   timestamps tag 1; responses carry `smithy-protocol: rpc-v2-cbor`.

use std::collections::BTreeMap;

use crate::cbor;
use crate::error::{CwError, ErrorCode};
use crate::time;
use crate::value::V;
use crate::{Protocol, Raw};

pub const XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

/// awsQuery form → (Action, request tree). Dotted names nest; `X.member.N` makes lists
/// (ordered by N); `X.entry.N.key/value` makes maps as lists of {key, value}.
pub fn decode_query(body: &[u8]) -> (Option<String>, V) {
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

pub fn decode_json(body: &[u8]) -> Result<V, CwError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(V::map());
    }
    let j: serde_json::Value = serde_json::from_slice(body).map_err(|_| serialization())?;
    match V::from_json(&j) {
        v @ V::Map(_) => Ok(v),
        _ => Err(serialization()),
    }
}

pub fn decode_cbor(body: &[u8]) -> Result<V, CwError> {
    match cbor::decode(body) {
        Ok(v @ V::Map(_)) => Ok(v),
        _ => Err(serialization()),
    }
}

fn serialization() -> CwError {
    CwError::new(
        ErrorCode::InvalidFormat,
        "The request body could not be parsed.",
    )
}

fn xml_escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
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
                V::Ts(t) => out.push_str(&time::iso_millis(*t)),
                V::Str(s) => xml_escape(s, out),
                _ => {}
            }
            close(out);
        }
    }
}

fn json_value(v: &V) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        V::Map(m) => J::Object(
            m.iter()
                .filter(|(_, x)| *x != V::Null)
                .map(|(k, x)| (k.clone(), json_value(x)))
                .collect(),
        ),
        V::List(l) => J::Array(l.iter().map(json_value).collect()),
        other => other.to_json(),
    }
}

fn json_bytes(v: &V) -> Vec<u8> {
    serde_json::to_vec(&json_value(v)).unwrap_or_else(|_| b"{}".to_vec())
}

const SMITHY: (&str, &str) = ("smithy-protocol", "rpc-v2-cbor");

/// A successful response. `output` None: the operation has no output shape.
pub fn respond(protocol: Protocol, op: &str, output: Option<V>, request_id: &str) -> Raw {
    match protocol {
        Protocol::Query => {
            let mut body = format!("<{op}Response xmlns=\"{XMLNS}\">\n");
            if let Some(out) = output {
                let mut result = String::new();
                match &out {
                    V::Map(m) if m.is_empty() => result.push_str(&format!("<{op}Result/>")),
                    V::Map(m) => {
                        result.push_str(&format!("<{op}Result>\n"));
                        for (k, x) in m {
                            result.push_str("    ");
                            xml_value(&mut result, k, x);
                            result.push('\n');
                        }
                        result.push_str(&format!("  </{op}Result>"));
                    }
                    _ => {}
                }
                body.push_str("  ");
                body.push_str(&result);
                body.push('\n');
            }
            body.push_str(&format!(
                "  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</{op}Response>\n"
            ));
            Raw::new(200, "text/xml", body.into_bytes())
        }
        Protocol::Json10 => Raw::new(
            200,
            "application/x-amz-json-1.0",
            json_bytes(&output.unwrap_or_else(V::map)),
        ),
        Protocol::Cbor => {
            let body = output.map(|o| cbor::encode(&o)).unwrap_or_default();
            let mut raw = Raw::new(200, "application/cbor", body);
            raw.extra_headers.push(SMITHY);
            raw
        }
    }
}

fn type_name(code: ErrorCode) -> String {
    if code == ErrorCode::UnknownOperation {
        "com.amazon.coral.service#UnknownOperationException".into()
    } else {
        format!("com.amazonaws.cloudwatch#{}", code.shape())
    }
}

pub fn error(protocol: Protocol, e: &CwError, request_id: &str) -> Raw {
    let status = e.code.status();
    match protocol {
        Protocol::Query => {
            let mut msg = String::new();
            xml_escape(&e.message, &mut msg);
            let kind = if e.code.is_sender() {
                "Sender"
            } else {
                "Receiver"
            };
            let body = format!(
                "<ErrorResponse xmlns=\"{XMLNS}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{msg}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
                e.code.query_code()
            );
            Raw::new(status, "text/xml", body.into_bytes())
        }
        Protocol::Json10 | Protocol::Cbor => {
            let mut v = V::map()
                .with("__type", V::Str(type_name(e.code)))
                .with("message", V::Str(e.message.clone()));
            if e.code == ErrorCode::DashboardInvalidInput {
                v = v.with(
                    "dashboardValidationMessages",
                    V::List(
                        e.dashboard_messages
                            .iter()
                            .map(|(p, m)| {
                                V::map()
                                    .with("DataPath", V::Str(p.clone()))
                                    .with("Message", V::Str(m.clone()))
                            })
                            .collect(),
                    ),
                );
            }
            let mut raw = if protocol == Protocol::Json10 {
                Raw::new(status, "application/x-amz-json-1.0", json_bytes(&v))
            } else {
                let mut r = Raw::new(status, "application/cbor", cbor::encode(&v));
                r.extra_headers.push(SMITHY);
                r
            };
            if let Some(h) = e.code.query_error_header() {
                raw.extra_headers.push(("x-amzn-query-error", h));
            }
            raw
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_forms_nest_into_lists_and_maps() {
        let (action, v) = decode_query(
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
        let raw = respond(Protocol::Query, "DescribeAlarms", Some(out), "rid");
        let body = String::from_utf8(raw.body).unwrap_or_default();
        assert!(body.starts_with(
            "<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
        ));
        assert!(body.contains("<MetricAlarms><member><AlarmName>a&lt;b</AlarmName><Threshold>80.0</Threshold><Dimensions/><StateUpdatedTimestamp>1970-01-01T00:00:00.000Z</StateUpdatedTimestamp></member></MetricAlarms>"));
        assert!(body.contains("<RequestId>rid</RequestId>"));
        let raw = respond(Protocol::Query, "DeleteAlarms", None, "rid");
        let body = String::from_utf8(raw.body).unwrap_or_default();
        assert!(!body.contains("Result"));
        assert_eq!(xml_double(0.5), "0.5");
        assert_eq!(xml_double(-3.0), "-3.0");
    }

    #[test]
    fn errors_in_each_protocol() {
        let e = CwError::new(ErrorCode::ResourceNotFound, "Alarm x not found");
        let raw = error(Protocol::Query, &e, "rid");
        assert_eq!(raw.status, 404);
        let body = String::from_utf8(raw.body).unwrap_or_default();
        assert!(body.contains("<Type>Sender</Type>\n    <Code>ResourceNotFound</Code>\n    <Message>Alarm x not found</Message>"));
        let raw = error(Protocol::Json10, &e, "rid");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&raw.body).ok(),
            Some(
                serde_json::json!({"__type": "com.amazonaws.cloudwatch#ResourceNotFound", "message": "Alarm x not found"})
            )
        );
        assert_eq!(
            raw.extra_headers,
            vec![("x-amzn-query-error", "ResourceNotFound;Sender")]
        );
        let raw = error(Protocol::Cbor, &e, "rid");
        assert_eq!(raw.content_type, "application/cbor");
        assert!(raw
            .extra_headers
            .contains(&("smithy-protocol", "rpc-v2-cbor")));
        let v = cbor::decode(&raw.body).unwrap_or(V::Null);
        assert_eq!(
            v.str("__type").as_deref(),
            Some("com.amazonaws.cloudwatch#ResourceNotFound")
        );
    }
}

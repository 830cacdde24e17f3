//! AWS's published SigV4 examples, checked stage by stage: canonical request, string to
//! sign, signature, and finally `verify` accepting the signed request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth::{canonical, parse_authorization, signing, time, Credentials, Mode, Request, Verified};

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct Vector {
    name: String,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    creq: String,
    sts: String,
    authz: String,
}

impl Vector {
    fn load(dir: &Path, name: &str) -> Vector {
        let read = |ext: &str| {
            let text = fs::read_to_string(dir.join(format!("{name}.{ext}"))).unwrap();
            text.strip_suffix('\n').unwrap_or(&text).to_string()
        };
        let req = read("req");
        let (head, body) = req.split_once("\n\n").unwrap_or((&req, ""));
        let mut lines = head.lines();
        let request_line = lines.next().unwrap();
        let (method, rest) = request_line.split_once(' ').unwrap();
        // The suite's targets may contain spaces, so only the protocol is cut off the end.
        let target = rest.strip_suffix(" HTTP/1.1").unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let headers = lines
            .map(|line| {
                let (n, v) = line.split_once(':').unwrap();
                (n.to_string(), v.to_string())
            })
            .collect();
        Vector {
            name: name.to_string(),
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            headers,
            body: body.as_bytes().to_vec(),
            creq: read("creq"),
            sts: read("sts"),
            authz: read("authz"),
        }
    }

    /// Runs `f` on the request, optionally with the vector's `Authorization` header added.
    fn with_request<R>(&self, authorized: bool, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let mut headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if authorized {
            headers.push(("Authorization", &self.authz));
        }
        let req = Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        f(&req)
    }

    /// The request time, from `X-Amz-Date` or else the RFC 1123 `Date` header.
    fn timestamp(&self) -> i64 {
        let header = |wanted: &str| {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
                .map(|(_, v)| v.trim().to_string())
        };
        match header("x-amz-date") {
            Some(amz) => time::parse_amz_date(&amz).unwrap(),
            None => time::parse_http_date(&header("date").unwrap()).unwrap(),
        }
    }
}

fn vectors() -> Vec<Vector> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter_map(|file| file.strip_suffix(".req").map(str::to_string))
        .collect();
    names.sort();
    // Guards against the directory silently going missing or shrinking.
    assert!(names.len() >= 24, "only {} vectors found", names.len());
    names.iter().map(|name| Vector::load(&dir, name)).collect()
}

fn at(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap())
}

fn enforced() -> Mode {
    let mut credentials = Credentials::new();
    credentials.insert(ACCESS_KEY.into(), SECRET.into());
    Mode::Enforced(credentials)
}

#[test]
fn canonical_requests_match() {
    for v in vectors() {
        let auth = parse_authorization(&v.authz).unwrap();
        let creq = v.with_request(false, |req| {
            canonical::canonical_request(req, &auth.signed_headers, &auth.service)
        });
        assert_eq!(creq, v.creq, "{}", v.name);
    }
}

#[test]
fn strings_to_sign_match() {
    for v in vectors() {
        let auth = parse_authorization(&v.authz).unwrap();
        let scope = format!(
            "{}/{}/{}/aws4_request",
            auth.date, auth.region, auth.service
        );
        let sts = signing::string_to_sign(&time::format_amz_date(v.timestamp()), &scope, &v.creq);
        assert_eq!(sts, v.sts, "{}", v.name);
        // The vector files agree with each other, so neither was mistyped.
        assert_eq!(
            v.sts.lines().last().unwrap(),
            signing::sha256_hex(v.creq.as_bytes()),
            "{}",
            v.name
        );
    }
}

#[test]
fn signatures_match() {
    for v in vectors() {
        let auth = parse_authorization(&v.authz).unwrap();
        assert_eq!(auth.access_key_id, ACCESS_KEY);
        let key = signing::signing_key(SECRET, &auth.date, &auth.region, &auth.service);
        assert_eq!(
            signing::signature(&key, &v.sts),
            auth.signature,
            "{}",
            v.name
        );
    }
}

#[test]
fn enforced_verification_accepts_every_vector() {
    let mode = enforced();
    for v in vectors() {
        let auth = parse_authorization(&v.authz).unwrap();
        let expected = Verified {
            access_key_id: ACCESS_KEY.into(),
            region: auth.region.clone(),
            service: auth.service.clone(),
        };
        for now in [v.timestamp(), v.timestamp() - 900, v.timestamp() + 900] {
            let outcome = v.with_request(true, |req| auth::verify(req, &mode, at(now)));
            assert_eq!(outcome, Ok(expected.clone()), "{} at {now}", v.name);
        }
        let late = v.with_request(true, |req| {
            auth::verify(req, &mode, at(v.timestamp() + 901))
        });
        assert_eq!(
            late.unwrap_err().aws_code(),
            "InvalidSignatureException",
            "{}",
            v.name
        );
    }
}

#[test]
fn open_mode_accepts_every_vector_at_any_time() {
    for v in vectors() {
        let outcome = v.with_request(true, |req| auth::verify(req, &Mode::Open, at(0)));
        assert!(outcome.is_ok(), "{}: {outcome:?}", v.name);
    }
}

#[test]
fn the_signer_reproduces_vectors_that_sign_every_header() {
    let mut reproduced = 0;
    for v in vectors() {
        let auth = parse_authorization(&v.authz).unwrap();
        let mut sent: Vec<String> = v
            .headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        sent.sort();
        sent.dedup();
        if sent != auth.signed_headers {
            continue;
        }
        let header = v.with_request(false, |req| {
            auth::sign(req, ACCESS_KEY, SECRET, &auth.region, &auth.service)
        });
        assert_eq!(header.unwrap(), v.authz, "{}", v.name);
        reproduced += 1;
    }
    assert!(reproduced >= 20, "only {reproduced} vectors reproduced");
}

#[test]
fn the_service_is_read_from_the_scope() {
    for v in vectors() {
        let auth = parse_authorization(&v.authz).unwrap();
        let service = v.with_request(true, auth::service_of);
        assert_eq!(service, Some(auth.service), "{}", v.name);
    }
}

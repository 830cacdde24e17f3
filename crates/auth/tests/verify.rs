//! `verify` on DynamoDB-shaped requests: what passes, and the exact AWS error for each way a
//! request can be wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth::{canonical, signing, time, AuthError, Credentials, Mode, Request, Verified};

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const WHEN: &str = "20150830T123600Z";
const MISMATCH: &str = "The request signature we calculated does not match the signature you \
provided. Check your AWS Secret Access Key and signing method. Consult the service \
documentation for details.";

/// An owned request that tests can bend before verifying.
#[derive(Clone)]
struct Req {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    /// A ListTables call as the AWS SDKs send it.
    fn dynamodb() -> Req {
        Req {
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            headers: vec![
                ("Host".into(), "localhost:8000".into()),
                ("Content-Type".into(), "application/x-amz-json-1.0".into()),
                ("X-Amz-Target".into(), "DynamoDB_20120810.ListTables".into()),
                ("X-Amz-Date".into(), WHEN.into()),
            ],
            body: br#"{"Limit":10}"#.to_vec(),
        }
    }

    fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn replace(mut self, name: &str, value: &str) -> Req {
        for (n, v) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                *v = value.into();
            }
        }
        self
    }

    fn without(mut self, name: &str) -> Req {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    fn body(mut self, body: &[u8]) -> Req {
        self.body = body.to_vec();
        self
    }

    fn with<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        f(&Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        })
    }

    /// Signs with the given key for DynamoDB in us-east-1 and adds the header.
    fn signed_by(self, key: &str, secret: &str) -> Req {
        let value = self
            .with(|req| auth::sign(req, key, secret, "us-east-1", "dynamodb"))
            .unwrap();
        self.header("Authorization", &value)
    }

    fn signed(self) -> Req {
        self.signed_by(ACCESS_KEY, SECRET)
    }

    fn authorization(&self) -> String {
        self.headers
            .iter()
            .find(|(n, _)| n == "Authorization")
            .map(|(_, v)| v.clone())
            .unwrap()
    }

    fn verify(&self, mode: &Mode, now: SystemTime) -> Result<Verified, AuthError> {
        self.with(|req| auth::verify(req, mode, now))
    }

    fn enforced_at(&self, amz: &str) -> Result<Verified, AuthError> {
        self.verify(&enforced(), at(amz))
    }
}

fn at(amz: &str) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(time::parse_amz_date(amz).unwrap()).unwrap())
}

fn enforced() -> Mode {
    let mut credentials = Credentials::new();
    credentials.insert(ACCESS_KEY.into(), SECRET.into());
    credentials.insert("AKIDOTHER".into(), "other-secret".into());
    Mode::Enforced(credentials)
}

fn dynamodb_caller() -> Verified {
    Verified {
        access_key_id: ACCESS_KEY.into(),
        region: "us-east-1".into(),
        service: "dynamodb".into(),
    }
}

/// Asserts code, message and status together, since clients see all three.
fn assert_refused(outcome: Result<Verified, AuthError>, code: &str, message: &str) {
    let err = outcome.unwrap_err();
    assert_eq!(err.aws_code(), code, "{err}");
    assert_eq!(err.message(), message);
    assert_eq!(err.http_status(), 400);
}

#[test]
fn a_correctly_signed_request_passes() {
    let req = Req::dynamodb().signed();
    assert_eq!(req.enforced_at(WHEN), Ok(dynamodb_caller()));
    assert_eq!(req.enforced_at("20150830T125100Z"), Ok(dynamodb_caller()));
    assert_eq!(req.enforced_at("20150830T122100Z"), Ok(dynamodb_caller()));
}

#[test]
fn headers_added_after_signing_do_not_matter() {
    let req = Req::dynamodb()
        .signed()
        .header("User-Agent", "added-by-a-proxy");
    assert_eq!(req.enforced_at(WHEN), Ok(dynamodb_caller()));
}

#[test]
fn a_target_left_out_of_the_signature_is_refused() {
    // Signed without X-Amz-Target, which is then added: a captured GetItem could otherwise be
    // replayed as a DeleteItem.
    let req = Req::dynamodb()
        .without("X-Amz-Target")
        .signed()
        .header("X-Amz-Target", "DynamoDB_20120810.DeleteTable");
    assert_refused(
        req.enforced_at(WHEN),
        "InvalidSignatureException",
        "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
    );
    let req = Req::dynamodb()
        .without("Content-Type")
        .signed()
        .header("Content-Type", "application/x-amz-json-1.0");
    assert_refused(
        req.enforced_at(WHEN),
        "InvalidSignatureException",
        "'Content-Type' must be a 'SignedHeader' in the AWS Authorization.",
    );
}

#[test]
fn a_tampered_body_is_refused() {
    let req = Req::dynamodb().signed().body(br#"{"Limit":11}"#);
    assert_refused(req.enforced_at(WHEN), "InvalidSignatureException", MISMATCH);
}

#[test]
fn a_tampered_signed_header_is_refused() {
    let req = Req::dynamodb()
        .signed()
        .replace("X-Amz-Target", "DynamoDB_20120810.DeleteTable");
    assert_refused(req.enforced_at(WHEN), "InvalidSignatureException", MISMATCH);
}

#[test]
fn a_wrong_secret_is_refused() {
    let req = Req::dynamodb().signed_by(ACCESS_KEY, "not-the-secret");
    assert_refused(req.enforced_at(WHEN), "InvalidSignatureException", MISMATCH);
    // Another known key's secret is just as wrong.
    let req = Req::dynamodb().signed_by(ACCESS_KEY, "other-secret");
    assert_refused(req.enforced_at(WHEN), "InvalidSignatureException", MISMATCH);
}

#[test]
fn a_tampered_signature_is_refused() {
    let req = Req::dynamodb().signed();
    let authorization = req.authorization();
    let upper = authorization.replace(
        authorization.rsplit('=').next().unwrap(),
        &authorization
            .rsplit('=')
            .next()
            .unwrap()
            .to_ascii_uppercase(),
    );
    let req = req.replace("Authorization", &upper);
    assert_refused(req.enforced_at(WHEN), "InvalidSignatureException", MISMATCH);
}

#[test]
fn an_unknown_key_is_unrecognized() {
    let req = Req::dynamodb().signed_by("AKIDNOBODY", SECRET);
    assert_refused(
        req.enforced_at(WHEN),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
}

#[test]
fn a_stale_timestamp_is_refused() {
    let req = Req::dynamodb().signed();
    assert_refused(
        req.enforced_at("20150830T125600Z"),
        "InvalidSignatureException",
        "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z \
         (20150830T125600Z - 15 min.)",
    );
}

#[test]
fn a_future_timestamp_is_refused() {
    let req = Req::dynamodb().signed();
    assert_refused(
        req.enforced_at("20150830T121600Z"),
        "InvalidSignatureException",
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123100Z \
         (20150830T121600Z + 15 min.)",
    );
}

#[test]
fn the_clock_is_checked_before_the_key() {
    // DynamoDB checks the date before it looks the key up, so a stale request from an
    // unknown key hears about the date.
    let req = Req::dynamodb().signed_by("AKIDNOBODY", SECRET);
    let err = req.enforced_at("20150830T125600Z").unwrap_err();
    assert!(err.message().starts_with("Signature expired"), "{err}");
}

#[test]
fn a_request_without_authentication_is_missing_a_token() {
    for mode in [enforced(), Mode::Open] {
        let req = Req::dynamodb();
        assert_refused(
            req.verify(&mode, at(WHEN)),
            "MissingAuthenticationTokenException",
            "Request is missing Authentication Token",
        );
        let req = Req::dynamodb().header("Authorization", "Bearer eyJhbGciOi");
        assert_refused(
            req.verify(&mode, at(WHEN)),
            "MissingAuthenticationTokenException",
            "Request is missing Authentication Token",
        );
    }
}

#[test]
fn missing_parameters_and_date_are_listed_together() {
    let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request";
    let req = Req::dynamodb()
        .without("X-Amz-Date")
        .header("Authorization", value);
    assert_refused(
        req.enforced_at(WHEN),
        "IncompleteSignatureException",
        &format!(
            "Authorization header requires 'Signature' parameter. Authorization header \
             requires 'SignedHeaders' parameter. Authorization header requires existence of \
             either a 'X-Amz-Date' or a 'Date' header. Authorization={value}"
        ),
    );
}

#[test]
fn a_missing_date_alone_is_incomplete() {
    let req = Req::dynamodb().signed().without("X-Amz-Date");
    let authorization = req.authorization();
    assert_refused(
        req.verify(&Mode::Open, at(WHEN)),
        "IncompleteSignatureException",
        &format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' \
             header. Authorization={authorization}"
        ),
    );
}

#[test]
fn an_unreadable_date_is_incomplete() {
    let req = Req::dynamodb().signed().replace("X-Amz-Date", "201");
    assert_refused(
        req.enforced_at(WHEN),
        "IncompleteSignatureException",
        "Date must be in ISO-8601 'basic format'. Got '201'. See \
         http://en.wikipedia.org/wiki/ISO_8601",
    );
}

#[test]
fn a_date_header_can_replace_x_amz_date() {
    let req = Req::dynamodb()
        .without("X-Amz-Date")
        .header("Date", "Sun, 30 Aug 2015 12:36:00 GMT")
        .signed();
    assert_eq!(req.enforced_at(WHEN), Ok(dynamodb_caller()));
}

#[test]
fn host_must_be_signed() {
    let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=x-amz-date, Signature=abcd";
    let req = Req::dynamodb().header("Authorization", value);
    for mode in [enforced(), Mode::Open] {
        assert_refused(
            req.verify(&mode, at(WHEN)),
            "InvalidSignatureException",
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        );
    }
}

#[test]
fn only_aws4_hmac_sha256_is_supported() {
    let req = Req::dynamodb().signed();
    let value = req
        .authorization()
        .replacen("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1);
    let req = req.replace("Authorization", &value);
    assert_refused(
        req.enforced_at(WHEN),
        "IncompleteSignatureException",
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). ",
    );
}

#[test]
fn a_credential_needs_five_parts() {
    let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb, SignedHeaders=host;x-amz-date, Signature=abcd";
    let req = Req::dynamodb().header("Authorization", value);
    assert_refused(
        req.verify(&Mode::Open, at(WHEN)),
        "IncompleteSignatureException",
        "Credential must have exactly 5 slash-delimited elements, e.g. \
         keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/dynamodb'",
    );
}

#[test]
fn a_parameter_without_equals_is_named() {
    let value = "AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd";
    let req = Req::dynamodb().header("Authorization", value);
    assert_refused(
        req.verify(&Mode::Open, at(WHEN)),
        "IncompleteSignatureException",
        &format!(
            "'AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request' not a valid key=value \
             pair (missing equal-sign) in Authorization header: '{value}'."
        ),
    );
}

#[test]
fn the_scope_date_must_be_the_request_date() {
    let req = Req::dynamodb().signed();
    let value = req.authorization().replacen("/20150830/", "/20150831/", 1);
    let req = req.replace("Authorization", &value);
    assert_refused(
        req.verify(&Mode::Open, at(WHEN)),
        "InvalidSignatureException",
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
         HTTP: '20150831' != '20150830', from '20150830T123600Z'.",
    );
}

#[test]
fn a_declared_payload_hash_must_match_the_body() {
    let body = br#"{"Limit":10}"#;
    let honest = Req::dynamodb()
        .header("X-Amz-Content-Sha256", &signing::sha256_hex(body))
        .signed();
    assert_eq!(honest.enforced_at(WHEN), Ok(dynamodb_caller()));
    // The hash header is signed, but the body it vouches for was swapped.
    let swapped = honest.clone().body(br#"{"Limit":99}"#);
    assert_refused(
        swapped.enforced_at(WHEN),
        "InvalidSignatureException",
        MISMATCH,
    );
    // S3-style markers are signed as sent.
    let unsigned = Req::dynamodb()
        .header("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
        .signed()
        .body(b"anything");
    assert_eq!(unsigned.enforced_at(WHEN), Ok(dynamodb_caller()));
}

#[test]
fn open_mode_checks_form_only() {
    // Unknown key, garbage signature, hours late: all fine in open mode.
    let value = "AWS4-HMAC-SHA256 Credential=anything/20150830/local/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=not-even-hex";
    let req = Req::dynamodb().header("Authorization", value);
    assert_eq!(
        req.verify(&Mode::Open, at("20150831T000000Z")),
        Ok(Verified {
            access_key_id: "anything".into(),
            region: "local".into(),
            service: "dynamodb".into(),
        })
    );
    // The same request is refused when enforced.
    assert_refused(
        req.enforced_at(WHEN),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
}

#[test]
fn service_of_reads_the_scope() {
    let req = Req::dynamodb().signed();
    assert_eq!(req.with(auth::service_of).as_deref(), Some("dynamodb"));
    assert_eq!(Req::dynamodb().with(auth::service_of), None);
    let broken = Req::dynamodb().header("Authorization", "AWS4-HMAC-SHA256 Credential=a/b/c");
    assert_eq!(broken.with(auth::service_of), None);
    let mut presigned = Req::dynamodb().without("X-Amz-Date");
    presigned.query = "X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request".into();
    assert_eq!(presigned.with(auth::service_of).as_deref(), Some("sts"));
}

#[test]
fn paths_are_double_encoded_for_non_s3_services() {
    let mut req = Req::dynamodb();
    req.path = "/backup-vaults/my%20vault".into();
    let creq = req.with(|r| canonical::canonical_request(r, &["host".to_string()], "backup"));
    assert!(
        creq.starts_with("POST\n/backup-vaults/my%2520vault\n"),
        "{creq}"
    );
    let signed = {
        let value = req
            .with(|r| auth::sign(r, ACCESS_KEY, SECRET, "us-east-1", "backup"))
            .unwrap();
        req.header("Authorization", &value)
    };
    assert_eq!(
        signed.enforced_at(WHEN).map(|v| v.service),
        Ok("backup".to_string())
    );
}

#[test]
fn error_codes_for_other_protocols() {
    let cases = [
        (
            AuthError::MissingAuthenticationToken,
            "MissingAuthenticationToken",
            403,
        ),
        (
            AuthError::IncompleteSignature(String::new()),
            "IncompleteSignature",
            400,
        ),
        (AuthError::UnrecognizedClient, "InvalidClientTokenId", 403),
        (
            AuthError::InvalidSignature(String::new()),
            "SignatureDoesNotMatch",
            403,
        ),
    ];
    for (err, code, status) in cases {
        assert_eq!(err.query_code(), code);
        assert_eq!(err.query_http_status(), status);
        assert_eq!(err.http_status(), 400);
    }
}

// ---- presigned URLs (query-string authentication) -------------------------------------

/// S3's documented presigned GET: examplebucket/test.txt on 2013-05-24, valid for a day
/// (Amazon S3 API Reference, "Authenticating Requests: Using Query Parameters").
fn s3_presigned() -> Req {
    Req {
        method: "GET".into(),
        path: "/test.txt".into(),
        query: "X-Amz-Algorithm=AWS4-HMAC-SHA256\
                &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
                &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
                &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
            .into(),
        headers: vec![("Host".into(), "examplebucket.s3.amazonaws.com".into())],
        body: Vec::new(),
    }
}

fn s3_keys() -> Mode {
    let mut credentials = Credentials::new();
    credentials.insert(
        "AKIAIOSFODNN7EXAMPLE".into(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
    );
    Mode::Enforced(credentials)
}

#[test]
fn the_documented_s3_presigned_url_verifies() {
    let req = s3_presigned();
    let expected = Ok(Verified {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        region: "us-east-1".into(),
        service: "s3".into(),
    });
    assert_eq!(req.verify(&s3_keys(), at("20130524T000000Z")), expected);
    assert_eq!(req.verify(&s3_keys(), at("20130525T000000Z")), expected);
    assert_refused(
        req.verify(&s3_keys(), at("20130525T000001Z")),
        "InvalidSignatureException",
        "Signature expired: 20130524T000000Z is now earlier than 20130524T000001Z \
         (20130525T000001Z - 1440 min.)",
    );
    assert_eq!(req.with(auth::service_of).as_deref(), Some("s3"));
}

#[test]
fn a_presigned_url_cannot_be_altered() {
    let mut req = s3_presigned();
    req.path = "/other.txt".into();
    assert_refused(
        req.verify(&s3_keys(), at("20130524T000000Z")),
        "InvalidSignatureException",
        MISMATCH,
    );
    let mut req = s3_presigned();
    req.query = req
        .query
        .replace("X-Amz-Expires=86400", "X-Amz-Expires=604800");
    assert_refused(
        req.verify(&s3_keys(), at("20130524T000000Z")),
        "InvalidSignatureException",
        MISMATCH,
    );
}

#[test]
fn presigned_urls_need_all_their_parameters() {
    let mut req = s3_presigned();
    req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20130524T000000Z".into();
    assert_refused(
        req.verify(&Mode::Open, at("20130524T000000Z")),
        "IncompleteSignatureException",
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string \
         parameters must include 'X-Amz-Signature'. AWS query-string parameters must include \
         'X-Amz-SignedHeaders'. Re-examine the query-string parameters.",
    );
    req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Signature=abc".into();
    assert_refused(
        req.verify(&Mode::Open, at("20130524T000000Z")),
        "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
    );
    // Without X-Amz-Algorithm the query is not an attempt at signing at all.
    req.query = "X-Amz-Signature=abc".into();
    assert_eq!(
        req.verify(&Mode::Open, at("20130524T000000Z")),
        Err(AuthError::MissingAuthenticationToken)
    );
}

#[test]
fn a_presigned_iam_call_verifies() {
    // Non-S3 presigned URLs sign the body hash, not UNSIGNED-PAYLOAD, and leave only the
    // signature itself out of the canonical query.
    let query = "Action=ListUsers&Version=2010-05-08&X-Amz-Algorithm=AWS4-HMAC-SHA256\
                 &X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiam%2Faws4_request\
                 &X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host";
    let mut req = Req {
        method: "GET".into(),
        path: "/".into(),
        query: query.into(),
        headers: vec![("Host".into(), "iam.amazonaws.com".into())],
        body: Vec::new(),
    };
    let creq = req.with(|r| canonical::canonical_request(r, &["host".to_string()], "iam"));
    let sts = signing::string_to_sign(WHEN, "20150830/us-east-1/iam/aws4_request", &creq);
    let key = signing::signing_key(SECRET, "20150830", "us-east-1", "iam");
    req.query = format!("{query}&X-Amz-Signature={}", signing::signature(&key, &sts));
    assert_eq!(
        req.enforced_at("20150830T123700Z").map(|v| v.service),
        Ok("iam".to_string())
    );
    assert_refused(
        req.enforced_at("20150830T123701Z"),
        "InvalidSignatureException",
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z \
         (20150830T123701Z - 1 min.)",
    );
}

#[test]
fn header_and_query_signatures_together_are_refused() {
    let mut req = Req::dynamodb().signed();
    req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256".into();
    assert_refused(req.enforced_at(WHEN), "InvalidSignatureException", MISMATCH);
}

/// Keys as an enforcing server with IAM and STS knows them: one session, one expired one.
struct Sessions;

impl auth::Keys for Sessions {
    fn key(&self, access_key_id: &str) -> auth::Key {
        match access_key_id {
            "ASIASESSION" => auth::Key::Known {
                secret: SECRET.into(),
                token: Some("the-token".into()),
            },
            "ASIAEXPIRED" => auth::Key::Expired,
            _ => auth::Key::Unknown,
        }
    }
}

#[test]
fn temporary_credentials_need_their_token_and_expire() {
    let check = |req: &Req| req.with(|r| auth::verify_keys(r, &Sessions, at(WHEN)));
    let with_token = Req::dynamodb()
        .header("X-Amz-Security-Token", "the-token")
        .signed_by("ASIASESSION", SECRET);
    assert_eq!(
        check(&with_token).map(|v| v.access_key_id),
        Ok("ASIASESSION".into())
    );
    let without = Req::dynamodb().signed_by("ASIASESSION", SECRET);
    assert_eq!(check(&without), Err(AuthError::UnrecognizedClient));
    let wrong = Req::dynamodb()
        .header("X-Amz-Security-Token", "another-token")
        .signed_by("ASIASESSION", SECRET);
    assert_eq!(check(&wrong), Err(AuthError::UnrecognizedClient));
    let expired = Req::dynamodb()
        .header("X-Amz-Security-Token", "the-token")
        .signed_by("ASIAEXPIRED", SECRET);
    let e = check(&expired).unwrap_err();
    assert_eq!(
        (e.aws_code(), e.query_code(), e.message()),
        (
            "ExpiredTokenException",
            "ExpiredToken",
            "The security token included in the request is expired".to_string()
        )
    );
}

//! `GET /console/…`: the web console's files (crate `console`), and `GET /` for a browser.
//!
//! The console holds no privilege: its pages call the same AWS APIs as any SDK, signed in the
//! browser, so what it may do is what its key may do. These answers only hand out files,
//! and only to a loopback host (or one given with `--allow-host`) in every mode, as the test
//! clock's: a page that rebinds its own name to this server gets nothing from here.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use hyper::{Response, StatusCode};

use crate::SharedState;

/// Whether a GET is the console's (`/console` or below).
pub fn is_own_path(path: &str) -> bool {
    path == "/console" || path.starts_with(console::PREFIX)
}

/// The console's file, or 404; `/console` moves to `/console/`.
pub fn handle(state: &SharedState, parts: &hyper::http::request::Parts) -> Response<Full<Bytes>> {
    if let Some(why) = crate::open_mode::foreign_host(&state.allowed, &parts.headers) {
        return plain(StatusCode::FORBIDDEN, why);
    }
    let path = parts.uri.path();
    if path == "/console" {
        let mut r = plain(StatusCode::PERMANENT_REDIRECT, String::new());
        r.headers_mut()
            .insert(LOCATION, HeaderValue::from_static(console::PREFIX));
        return r;
    }
    let Some(asset) = console::asset(path) else {
        return plain(StatusCode::NOT_FOUND, "Not found".to_string());
    };
    let mut r = Response::new(Full::new(Bytes::from_static(asset.body)));
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    // Served with the binary: a new build must be seen after a reload.
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    secure(h);
    r
}

/// `GET /` from a browser (it accepts HTML): a page that links to the console. Other clients
/// (load balancers, DynamoDB's own health check) keep the plain health line.
pub fn front_page(parts: &hyper::http::request::Parts) -> Option<Response<Full<Bytes>>> {
    let accept = parts.headers.get(hyper::header::ACCEPT)?.to_str().ok()?;
    if !accept.contains("text/html") {
        return None;
    }
    let page = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Dynostack</title>\
                <link rel=\"icon\" href=\"data:,\">\
                <p>healthy: dynostack</p><p><a href=\"/console/\">Open the console</a></p></html>";
    let mut r = Response::new(Full::new(Bytes::from_static(page.as_bytes())));
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure(h);
    Some(r)
}

/// Scripts only from this server, no framing by other pages, no guessing of content types.
fn secure(h: &mut hyper::HeaderMap) {
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
             frame-ancestors 'none'; form-action 'none'",
        ),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
}

fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(text)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

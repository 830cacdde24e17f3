//! Writing the inner XML of an awsQuery result: escaped text elements, and the URL-encoding IAM
//! applies to every policy document it returns.

pub use protocol::xml::escape;

/// Percent-encodes a policy document as IAM returns it (`%7B%22Version%22...`): every byte but
/// the RFC 3986 unreserved characters. Spaces become `%20`, never `+`, so both Go's
/// `url.QueryUnescape` (Terraform) and Python's `unquote` (botocore) give the document back.
pub fn url_encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len() * 2);
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// A result body under construction.
#[derive(Default)]
pub struct Xml {
    out: String,
}

impl Xml {
    pub fn new() -> Xml {
        Xml::default()
    }

    /// `<tag>` — the caller closes it.
    pub fn open(&mut self, tag: &str) -> &mut Xml {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Xml {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// `<tag>escaped text</tag>`.
    pub fn text(&mut self, tag: &str, value: &str) -> &mut Xml {
        self.open(tag);
        self.out.push_str(&escape(value));
        self.close(tag)
    }

    /// `<tag>escaped text</tag>` when there is a value.
    pub fn opt(&mut self, tag: &str, value: Option<&str>) -> &mut Xml {
        if let Some(v) = value {
            self.text(tag, v);
        }
        self
    }

    pub fn bool(&mut self, tag: &str, value: bool) -> &mut Xml {
        self.text(tag, if value { "true" } else { "false" })
    }

    pub fn num(&mut self, tag: &str, value: u64) -> &mut Xml {
        self.text(tag, &value.to_string())
    }

    /// `<tag/>`.
    pub fn empty(&mut self, tag: &str) -> &mut Xml {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str("/>");
        self
    }

    /// A policy document, URL-encoded as IAM returns it.
    pub fn document(&mut self, tag: &str, json: &str) -> &mut Xml {
        self.text(tag, &url_encode(json))
    }

    /// `<IsTruncated>…</IsTruncated>` and, when truncated, `<Marker>…</Marker>`.
    pub fn paging(&mut self, marker: Option<&str>) -> &mut Xml {
        self.bool("IsTruncated", marker.is_some());
        self.opt("Marker", marker)
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_encodes_documents() {
        assert_eq!(escape("<a & 'b'>\""), "&lt;a &amp; &apos;b&apos;&gt;&quot;");
        assert_eq!(
            url_encode(r#"{"Version":"2012-10-17","A":"x y*"}"#),
            "%7B%22Version%22%3A%222012-10-17%22%2C%22A%22%3A%22x%20y%2A%22%7D"
        );
        assert_eq!(url_encode("é"), "%C3%A9");
        let mut x = Xml::new();
        x.open("R")
            .text("N", "a<b")
            .opt("D", None)
            .bool("T", true)
            .close("R");
        assert_eq!(x.finish(), "<R><N>a&lt;b</N><T>true</T></R>");
    }
}

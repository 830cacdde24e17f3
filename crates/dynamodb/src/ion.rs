//! Amazon Ion text, limited to what DynamoDB's ION exports and imports use.
//!
//! AWS's mapping ("DynamoDB table export output format", "Amazon S3 import formats for
//! DynamoDB"): S is an Ion string, N a decimal, B a blob, BOOL a bool, NULL `null`, L a list, M a
//! struct, and SS, NS, BS lists annotated `$dynamodb_SS::`, `$dynamodb_NS::`, `$dynamodb_BS::`.
//! An export writes one item a line, each behind the version marker:
//! `$ion_1_0 {Item:{Authors:$dynamodb_SS::["Author1","Author2"],Id:103.,PageCount:6d2}}`.
//!
//! The encoder writes that line as ion-java writes it (AWS's writer): compact, decimals in
//! ion-java's form (`103.`, `6d2`, `1.5`, `5d-2`), field names as bare identifiers unless they
//! need quoting. The parser reads a stream of top-level values from any `Read` (so an item may
//! span lines, and the import guide's example — a top-level list of `{Item: …}` — reads too):
//! version markers, comments, annotations, ints (decimal, hex, binary, `_` separators), decimals,
//! floats as their exact text, short and long strings with every escape, quoted symbols, blobs,
//! typed nulls. Ion types DynamoDB has no type for (timestamps, clobs, s-expressions, symbol
//! values, nan and infinities) are errors. Containers nest at most [`MAX_DEPTH`] deep, and one
//! item's text is bounded, so a crafted file neither overflows the stack nor fills memory.

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;
use item::{Item, Number, Value};
use serde_json::{json, Map, Value as Json};

/// The version marker that starts every line of an export.
pub const VERSION_MARKER: &str = "$ion_1_0";

/// Containers a value may nest: an item's 32 levels, under the `{Item: …}` wrapper and the
/// `Item` struct, perhaps inside a top-level list.
pub const MAX_DEPTH: usize = item::json::MAX_NESTING_LEVEL + 3;

/// Text one top-level value may take: an item is at most 400 KB, and escapes (`\xHH`) make
/// its text at most a few times that.
const MAX_VALUE_TEXT: u64 = 8 << 20;

// ---------------------------------------------------------------------------------------------
// Encoding

/// One line of an ION export, without its newline: `$ion_1_0 {Item:{…}}`.
pub fn item_line(item: &Item) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(VERSION_MARKER);
    out.push_str(" {Item:");
    write_struct(&mut out, item);
    out.push('}');
    out
}

fn write_struct(out: &mut String, fields: &BTreeMap<String, Value>) {
    out.push('{');
    for (i, (name, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_symbol(out, name);
        out.push(':');
        write_value(out, v);
    }
    out.push('}');
}

fn write_list<T>(out: &mut String, annotation: &str, items: &[T], each: impl Fn(&mut String, &T)) {
    out.push_str(annotation);
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, x);
    }
    out.push(']');
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::S(s) => write_string(out, s),
        Value::N(n) => write_decimal(out, n),
        Value::B(b) => write_blob(out, b),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::M(m) => write_struct(out, m),
        Value::L(l) => write_list(out, "", l, write_value),
        Value::Ss(s) => write_list(out, "$dynamodb_SS::", s, |o, x| write_string(o, x)),
        Value::Ns(s) => write_list(out, "$dynamodb_NS::", s, write_decimal),
        Value::Bs(s) => write_list(out, "$dynamodb_BS::", s, |o, x| write_blob(o, x)),
    }
}

/// A decimal as ion-java prints a `BigDecimal` with trailing zeros stripped (DynamoDB keeps
/// numbers normalised): the digits then `.` for exponent 0 (`103.`), `dN` for a positive
/// exponent (`6d2`), a point inside the digits when it fits (`1.5`), else `d-N` (`5d-2`).
fn write_decimal(out: &mut String, n: &Number) {
    let (negative, digits, exponent) = n.parts();
    if digits.is_empty() {
        out.push_str("0.");
        return;
    }
    if negative {
        out.push('-');
    }
    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    // value = unscaled × 10^-scale
    let len = digits.len() as i64;
    let scale = len - i64::from(exponent);
    if scale == 0 {
        out.push_str(&text);
        out.push('.');
    } else if scale < 0 {
        out.push_str(&text);
        out.push_str(&format!("d{}", -scale));
    } else {
        let (whole, remaining) = if len > scale {
            ((len - scale) as usize, 0)
        } else {
            (1, scale - len + 1)
        };
        let (int, frac) = text.split_at(whole.min(text.len()));
        out.push_str(int);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        if remaining != 0 {
            out.push_str(&format!("d-{remaining}"));
        }
    }
}

fn write_blob(out: &mut String, b: &[u8]) {
    out.push_str("{{");
    out.push_str(&base64::engine::general_purpose::STANDARD.encode(b));
    out.push_str("}}");
}

/// A string's characters between `quote`s, with Ion's escapes for the quote, the backslash
/// and control characters; other characters are written as UTF-8.
fn write_escaped(out: &mut String, s: &str, quote: char) {
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

fn write_string(out: &mut String, s: &str) {
    write_escaped(out, s, '"');
}

/// A field name: bare when it is an identifier that is neither a keyword nor a symbol id
/// (`$12`), else in single quotes.
fn write_symbol(out: &mut String, s: &str) {
    if is_plain_identifier(s) {
        out.push_str(s);
    } else {
        write_escaped(out, s, '\'');
    }
}

fn is_plain_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$');
    let rest_ok = s.bytes().all(is_identifier_byte);
    let keyword = matches!(s, "null" | "true" | "false" | "nan");
    let symbol_id =
        s.len() > 1 && s.starts_with('$') && s.bytes().skip(1).all(|b| b.is_ascii_digit());
    first_ok && rest_ok && !keyword && !symbol_id
}

fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// A parsed Ion value of the kinds DynamoDB maps.
#[derive(Clone, Debug, PartialEq)]
pub enum Ion {
    Null,
    Bool(bool),
    /// An int, decimal or float, as the text of a DynamoDB number ("6E2", "103.", "-15").
    Number(String),
    String(String),
    Symbol(String),
    Blob(Vec<u8>),
    List(Vec<Annotated>),
    Struct(Vec<(String, Annotated)>),
}

/// A value with its annotations (`a::b::value`).
#[derive(Clone, Debug, PartialEq)]
pub struct Annotated {
    pub annotations: Vec<String>,
    pub value: Ion,
}

/// A buffered byte source with a few bytes of lookahead and the offset read so far.
struct Input<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    offset: u64,
    failed: Option<String>,
}

impl<R: Read> Input<R> {
    fn new(r: R) -> Input<R> {
        Input {
            r,
            buf: vec![0; 64 * 1024],
            pos: 0,
            end: 0,
            eof: false,
            offset: 0,
            failed: None,
        }
    }

    /// The byte `k` places ahead, reading more when needed; `None` at the end (or on a read
    /// error, kept in `failed`).
    fn peek_at(&mut self, k: usize) -> Option<u8> {
        while self.pos + k >= self.end && !self.eof {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            }
            let end = self.end;
            match self.r.read(self.buf.get_mut(end..).unwrap_or_default()) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.failed = Some(e.to_string());
                    self.eof = true;
                }
            }
        }
        self.buf
            .get(self.pos + k)
            .copied()
            .filter(|_| self.pos + k < self.end)
    }

    fn peek(&mut self) -> Option<u8> {
        self.peek_at(0)
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        self.offset += 1;
        Some(b)
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Ends a number or a keyword.
fn is_stop(b: Option<u8>) -> bool {
    match b {
        None => true,
        Some(b) => is_ws(b) || b"{}[](),\"'/:".contains(&b),
    }
}

type Parsed<T> = Result<T, String>;

/// Reads the items of an Ion stream: each top-level `{Item: {…}}` (a list of them is read
/// element by element), skipping version markers and symbol tables.
pub struct ItemReader<R> {
    input: Input<R>,
    /// Inside a top-level list of items.
    in_list: bool,
    /// Where the value being read began.
    start: u64,
    done: bool,
}

impl<R: Read> ItemReader<R> {
    pub fn new(r: R) -> ItemReader<R> {
        ItemReader {
            input: Input::new(r),
            in_list: false,
            start: 0,
            done: false,
        }
    }

    /// The next item, as a DynamoDB JSON object (the `Item` of a DYNAMODB_JSON line);
    /// `Some(Err)` for a value that is not one (after which the reader is done: the rest of the
    /// stream cannot be trusted); `None` at the end.
    pub fn next_item(&mut self) -> Option<Parsed<Json>> {
        if self.done {
            return None;
        }
        let out = self.next_inner();
        if !matches!(out, Some(Ok(_))) {
            self.done = true;
        }
        out
    }

    fn next_inner(&mut self) -> Option<Parsed<Json>> {
        loop {
            if let Err(e) = self.skip_ws() {
                return Some(Err(e));
            }
            if self.in_list {
                match self.input.peek() {
                    Some(b']') => {
                        self.input.bump();
                        self.in_list = false;
                        continue;
                    }
                    None => return Some(Err(self.eof_error("a list of items"))),
                    _ => {}
                }
            }
            match self.input.peek() {
                None => return self.input.failed.take().map(Err),
                Some(b'[') if !self.in_list => {
                    self.input.bump();
                    self.in_list = true;
                    continue;
                }
                _ => {}
            }
            self.start = self.input.offset;
            let depth = usize::from(self.in_list);
            let value = match self.annotated(depth) {
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            };
            if self.in_list {
                if let Err(e) = self.list_separator() {
                    return Some(Err(e));
                }
            } else {
                let version_marker = value.annotations.is_empty()
                    && matches!(&value.value, Ion::Symbol(s) if s == VERSION_MARKER);
                let symbol_table = value
                    .annotations
                    .first()
                    .is_some_and(|a| a == "$ion_symbol_table");
                if version_marker || symbol_table {
                    continue;
                }
            }
            return Some(item_of(&value));
        }
    }

    /// After an element of the top-level list: `,` or the `]` the next call sees.
    fn list_separator(&mut self) -> Parsed<()> {
        self.skip_ws()?;
        match self.input.peek() {
            Some(b',') => {
                self.input.bump();
                Ok(())
            }
            Some(b']') => Ok(()),
            _ => Err(self.unexpected("`,` or `]` after a list element")),
        }
    }

    fn eof_error(&mut self, inside: &str) -> String {
        match self.input.failed.take() {
            Some(e) => e,
            None => format!("the input ends inside {inside}"),
        }
    }

    fn unexpected(&mut self, wanted: &str) -> String {
        match self.input.peek() {
            None => self.eof_error(wanted),
            Some(b) if b.is_ascii_graphic() => {
                format!(
                    "expected {wanted} at byte {}, found `{}`",
                    self.input.offset,
                    char::from(b)
                )
            }
            Some(b) => format!(
                "expected {wanted} at byte {}, found byte {b:#04x}",
                self.input.offset
            ),
        }
    }

    /// Stops a value whose text outgrows any item.
    fn check_size(&self) -> Parsed<()> {
        if self.input.offset.saturating_sub(self.start) > MAX_VALUE_TEXT {
            return Err(format!(
                "a value longer than {MAX_VALUE_TEXT} bytes of text"
            ));
        }
        Ok(())
    }

    /// Skips whitespace and comments.
    fn skip_ws(&mut self) -> Parsed<()> {
        loop {
            match (self.input.peek(), self.input.peek_at(1)) {
                (Some(b), _) if is_ws(b) => {
                    self.input.bump();
                }
                (Some(b'/'), Some(b'/')) => {
                    while let Some(b) = self.input.bump() {
                        if b == b'\n' {
                            break;
                        }
                    }
                }
                (Some(b'/'), Some(b'*')) => {
                    self.input.bump();
                    self.input.bump();
                    loop {
                        match self.input.bump() {
                            None => return Err(self.eof_error("a comment")),
                            Some(b'*') if self.input.peek() == Some(b'/') => {
                                self.input.bump();
                                break;
                            }
                            _ => {}
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// A value with its annotations.
    fn annotated(&mut self, depth: usize) -> Parsed<Annotated> {
        if depth > MAX_DEPTH {
            return Err(format!("values nested deeper than {MAX_DEPTH} levels"));
        }
        let mut annotations = Vec::new();
        loop {
            self.skip_ws()?;
            self.check_size()?;
            let symbol = match self.input.peek() {
                Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => {
                    let id = self.identifier()?;
                    Some((id, false))
                }
                Some(b'\'') if !self.at_long_string() => Some((self.quoted(b'\'')?, true)),
                _ => None,
            };
            let Some((text, quoted)) = symbol else {
                let value = self.value(depth)?;
                return Ok(Annotated { annotations, value });
            };
            self.skip_ws()?;
            if self.input.peek() == Some(b':') && self.input.peek_at(1) == Some(b':') {
                self.input.bump();
                self.input.bump();
                annotations.push(text);
                continue;
            }
            let value = if quoted {
                Ion::Symbol(text)
            } else {
                self.keyword(text)?
            };
            return Ok(Annotated { annotations, value });
        }
    }

    /// What an unquoted identifier in a value's place is.
    fn keyword(&mut self, text: String) -> Parsed<Ion> {
        match text.as_str() {
            "true" => Ok(Ion::Bool(true)),
            "false" => Ok(Ion::Bool(false)),
            "null" => {
                // A typed null (`null.string`) is a null too.
                if self.input.peek() == Some(b'.') {
                    self.input.bump();
                    let ty = self.identifier()?;
                    const TYPES: &[&str] = &[
                        "null",
                        "bool",
                        "int",
                        "float",
                        "decimal",
                        "timestamp",
                        "symbol",
                        "string",
                        "clob",
                        "blob",
                        "list",
                        "sexp",
                        "struct",
                    ];
                    if !TYPES.contains(&ty.as_str()) {
                        return Err(format!("no Ion type null.{ty}"));
                    }
                }
                Ok(Ion::Null)
            }
            "nan" => Err("nan is not a DynamoDB number".into()),
            _ => Ok(Ion::Symbol(text)),
        }
    }

    fn identifier(&mut self) -> Parsed<String> {
        let mut s = String::new();
        while let Some(b) = self.input.peek().filter(|b| is_identifier_byte(*b)) {
            self.input.bump();
            s.push(char::from(b));
            if s.len().is_multiple_of(4096) {
                self.check_size()?;
            }
        }
        if s.is_empty() {
            return Err(self.unexpected("an identifier"));
        }
        Ok(s)
    }

    fn at_long_string(&mut self) -> bool {
        self.input.peek() == Some(b'\'')
            && self.input.peek_at(1) == Some(b'\'')
            && self.input.peek_at(2) == Some(b'\'')
    }

    /// A value without annotations (its first byte not that of a symbol).
    fn value(&mut self, depth: usize) -> Parsed<Ion> {
        match self.input.peek() {
            Some(b'"') => Ok(Ion::String(self.quoted(b'"')?)),
            Some(b'\'') => Ok(Ion::String(self.long_strings()?)),
            Some(b'{') if self.input.peek_at(1) == Some(b'{') => self.blob(),
            Some(b'{') => self.structure(depth),
            Some(b'[') => self.list(depth),
            Some(b'(') => Err("s-expressions have no DynamoDB type".into()),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'+') => Err("+inf is not a DynamoDB number".into()),
            _ => Err(self.unexpected("a value")),
        }
    }

    fn list(&mut self, depth: usize) -> Parsed<Ion> {
        self.input.bump();
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            if self.input.peek() == Some(b']') {
                self.input.bump();
                return Ok(Ion::List(items));
            }
            items.push(self.annotated(depth + 1)?);
            self.skip_ws()?;
            match self.input.peek() {
                Some(b',') => {
                    self.input.bump();
                }
                Some(b']') => {}
                _ => return Err(self.unexpected("`,` or `]` in a list")),
            }
        }
    }

    fn structure(&mut self, depth: usize) -> Parsed<Ion> {
        self.input.bump();
        let mut fields = Vec::new();
        loop {
            self.skip_ws()?;
            let name = match self.input.peek() {
                Some(b'}') => {
                    self.input.bump();
                    return Ok(Ion::Struct(fields));
                }
                Some(b'"') => self.quoted(b'"')?,
                Some(b'\'') if self.at_long_string() => self.long_strings()?,
                Some(b'\'') => self.quoted(b'\'')?,
                Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => {
                    self.identifier()?
                }
                _ => return Err(self.unexpected("a field name")),
            };
            self.skip_ws()?;
            if self.input.peek() != Some(b':') || self.input.peek_at(1) == Some(b':') {
                return Err(self.unexpected("`:` after a field name"));
            }
            self.input.bump();
            let value = self.annotated(depth + 1)?;
            fields.push((name, value));
            self.skip_ws()?;
            match self.input.peek() {
                Some(b',') => {
                    self.input.bump();
                }
                Some(b'}') => {}
                _ => return Err(self.unexpected("`,` or `}` in a struct")),
            }
        }
    }

    /// `{{ base64 }}`; a clob (`{{ "text" }}`) has no DynamoDB type.
    fn blob(&mut self) -> Parsed<Ion> {
        self.input.bump();
        self.input.bump();
        let mut text = Vec::new();
        loop {
            match self.input.bump() {
                None => return Err(self.eof_error("a blob")),
                Some(b'}') => {
                    if self.input.bump() != Some(b'}') {
                        return Err("a blob must end with `}}`".into());
                    }
                    break;
                }
                Some(b'"' | b'\'') => return Err("clobs have no DynamoDB type".into()),
                Some(b) if is_ws(b) => {}
                Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=') => {
                    text.push(b);
                    if text.len().is_multiple_of(4096) {
                        self.check_size()?;
                    }
                }
                Some(b) => return Err(format!("byte {b:#04x} in a blob's base64")),
            }
        }
        base64::engine::general_purpose::STANDARD
            .decode(&text)
            .map(Ion::Blob)
            .map_err(|e| format!("a blob's base64: {e}"))
    }

    /// Digits of `radix` with `_` only between digits; at least one.
    fn digits(&mut self, out: &mut String, radix: u32) -> Parsed<()> {
        let before = out.len();
        loop {
            match self.input.peek() {
                Some(b) if char::from(b).is_digit(radix) => {
                    self.input.bump();
                    out.push(char::from(b));
                }
                Some(b'_')
                    if out.len() > before
                        && self
                            .input
                            .peek_at(1)
                            .is_some_and(|n| char::from(n).is_digit(radix)) =>
                {
                    self.input.bump();
                }
                _ => break,
            }
            if out.len() > 4096 {
                return Err("a number too long for DynamoDB".into());
            }
        }
        if out.len() == before {
            return Err(self.unexpected("a digit"));
        }
        Ok(())
    }

    /// An int, decimal or float, as the text of a DynamoDB number.
    fn number(&mut self) -> Parsed<Ion> {
        let mut text = String::new();
        if self.input.peek() == Some(b'-') {
            self.input.bump();
            text.push('-');
            if self.input.peek() == Some(b'i') {
                return Err("-inf is not a DynamoDB number".into());
            }
        }
        let radix = match (self.input.peek(), self.input.peek_at(1)) {
            (Some(b'0'), Some(b'x' | b'X')) => 16,
            (Some(b'0'), Some(b'b' | b'B')) => 2,
            _ => 10,
        };
        if radix != 10 {
            self.input.bump();
            self.input.bump();
            let mut digits = String::new();
            self.digits(&mut digits, radix)?;
            if !is_stop(self.input.peek()) {
                return Err(self.unexpected("the end of an int"));
            }
            let n = u128::from_str_radix(&digits, radix)
                .map_err(|_| "an int too large for DynamoDB".to_string())?;
            text.push_str(&n.to_string());
            return Ok(Ion::Number(text));
        }
        let int_start = text.len();
        self.digits(&mut text, 10)?;
        let int = text.get(int_start..).unwrap_or_default();
        if int.len() > 1 && int.starts_with('0') {
            return Err("an Ion number has no leading zeros".into());
        }
        if self.input.peek() == Some(b'.') {
            self.input.bump();
            text.push('.');
            if self.input.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.digits(&mut text, 10)?;
            }
        }
        if let Some(b'd' | b'D' | b'e' | b'E') = self.input.peek() {
            self.input.bump();
            text.push('E');
            if let Some(sign @ (b'+' | b'-')) = self.input.peek() {
                self.input.bump();
                text.push(char::from(sign));
            }
            self.digits(&mut text, 10)?;
        }
        if !is_stop(self.input.peek()) {
            // A timestamp (2024-01-01T) reads this far too.
            return Err(self.unexpected("the end of a number (timestamps have no DynamoDB type)"));
        }
        Ok(Ion::Number(text))
    }

    /// `"…"` or `'…'` (the opening quote next): one line, with escapes.
    fn quoted(&mut self, quote: u8) -> Parsed<String> {
        self.input.bump();
        let mut bytes = Vec::new();
        loop {
            match self.input.bump() {
                None => return Err(self.eof_error("a string")),
                Some(b) if b == quote => break,
                Some(b'\\') => self.escape(&mut bytes)?,
                Some(b'\n' | b'\r') => return Err("a newline inside a quoted string".into()),
                Some(b) => bytes.push(b),
            }
            if bytes.len().is_multiple_of(4096) {
                self.check_size()?;
            }
        }
        String::from_utf8(bytes).map_err(|_| "a string that is not UTF-8".to_string())
    }

    /// One or more `'''…'''` separated by whitespace and comments, concatenated.
    fn long_strings(&mut self) -> Parsed<String> {
        let mut bytes = Vec::new();
        while self.at_long_string() {
            for _ in 0..3 {
                self.input.bump();
            }
            loop {
                if self.at_long_string() {
                    for _ in 0..3 {
                        self.input.bump();
                    }
                    break;
                }
                match self.input.bump() {
                    None => return Err(self.eof_error("a long string")),
                    Some(b'\\') => self.escape(&mut bytes)?,
                    Some(b'\r') => {
                        // Ion reads CR LF and a lone CR as LF.
                        if self.input.peek() == Some(b'\n') {
                            self.input.bump();
                        }
                        bytes.push(b'\n');
                    }
                    Some(b) => bytes.push(b),
                }
                if bytes.len().is_multiple_of(4096) {
                    self.check_size()?;
                }
            }
            self.skip_ws()?;
        }
        String::from_utf8(bytes).map_err(|_| "a string that is not UTF-8".to_string())
    }

    /// The escape after a backslash, its character appended as UTF-8.
    fn escape(&mut self, out: &mut Vec<u8>) -> Parsed<()> {
        let c = match self.input.bump() {
            None => return Err(self.eof_error("an escape")),
            Some(b'0') => '\0',
            Some(b'a') => '\u{7}',
            Some(b'b') => '\u{8}',
            Some(b't') => '\t',
            Some(b'n') => '\n',
            Some(b'f') => '\u{c}',
            Some(b'r') => '\r',
            Some(b'v') => '\u{b}',
            Some(b @ (b'"' | b'\'' | b'?' | b'/' | b'\\')) => char::from(b),
            // A backslash before a newline joins the lines.
            Some(b'\n') => return Ok(()),
            Some(b'\r') => {
                if self.input.peek() == Some(b'\n') {
                    self.input.bump();
                }
                return Ok(());
            }
            Some(b'x') => self.hex_char(2)?,
            Some(b'u') => {
                let code = self.hex(4)?;
                if (0xD800..0xDC00).contains(&code) {
                    // A surrogate pair written as two escapes.
                    if self.input.bump() != Some(b'\\') || self.input.bump() != Some(b'u') {
                        return Err("an unpaired surrogate escape".into());
                    }
                    let low = self.hex(4)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err("an unpaired surrogate escape".into());
                    }
                    let code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    char::from_u32(code).ok_or("an invalid escape")?
                } else {
                    char::from_u32(code).ok_or("an unpaired surrogate escape")?
                }
            }
            Some(b'U') => self.hex_char(8)?,
            Some(b) => return Err(format!("an unknown escape \\{}", char::from(b))),
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    fn hex(&mut self, n: usize) -> Parsed<u32> {
        let mut v: u32 = 0;
        for _ in 0..n {
            let d = self
                .input
                .bump()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or("a bad hex escape")?;
            v = v.checked_mul(16).ok_or("a bad hex escape")? + d;
        }
        Ok(v)
    }

    fn hex_char(&mut self, n: usize) -> Parsed<char> {
        let code = self.hex(n)?;
        char::from_u32(code).ok_or_else(|| format!("no character U+{code:X}"))
    }
}

/// The item of a top-level `{Item: {…}}`, as a DynamoDB JSON object.
fn item_of(v: &Annotated) -> Parsed<Json> {
    let Ion::Struct(fields) = &v.value else {
        return Err("a top-level value that is not a struct".into());
    };
    let mut item = None;
    for (name, value) in fields {
        match name.as_str() {
            "Item" if item.is_none() => item = Some(value),
            "Item" => return Err("two Item fields".into()),
            other => return Err(format!("a field {other} beside Item")),
        }
    }
    let Some(Annotated {
        value: Ion::Struct(attributes),
        ..
    }) = item
    else {
        return Err("no Item struct".into());
    };
    let mut out = Map::new();
    for (name, value) in attributes {
        if out.insert(name.clone(), attribute(value)?).is_some() {
            return Err(format!("the attribute {name} twice"));
        }
    }
    Ok(Json::Object(out))
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// One value as a DynamoDB JSON AttributeValue (`{"S": …}`), by AWS's mapping.
fn attribute(v: &Annotated) -> Parsed<Json> {
    let set = v.annotations.iter().find_map(|a| match a.as_str() {
        "$dynamodb_SS" => Some("SS"),
        "$dynamodb_NS" => Some("NS"),
        "$dynamodb_BS" => Some("BS"),
        _ => None,
    });
    if let Some(kind) = set {
        let Ion::List(items) = &v.value else {
            return Err(format!("$dynamodb_{kind} on a value that is not a list"));
        };
        let members = items
            .iter()
            .map(|x| match (kind, &x.value) {
                ("SS", Ion::String(s)) => Ok(Json::String(s.clone())),
                ("NS", Ion::Number(n)) => Ok(Json::String(n.clone())),
                ("BS", Ion::Blob(b)) => Ok(Json::String(b64(b))),
                _ => Err(format!("a member of a $dynamodb_{kind} of the wrong type")),
            })
            .collect::<Parsed<Vec<Json>>>()?;
        return Ok(json!({ kind: members }));
    }
    Ok(match &v.value {
        Ion::Null => json!({"NULL": true}),
        Ion::Bool(b) => json!({"BOOL": b}),
        Ion::Number(n) => json!({"N": n}),
        Ion::String(s) => json!({"S": s}),
        Ion::Blob(b) => json!({"B": b64(b)}),
        Ion::Symbol(s) => return Err(format!("the symbol {s}: symbols have no DynamoDB type")),
        Ion::List(items) => json!({"L": items.iter().map(attribute).collect::<Parsed<Vec<_>>>()?}),
        Ion::Struct(fields) => {
            let mut m = Map::new();
            for (name, value) in fields {
                if m.insert(name.clone(), attribute(value)?).is_some() {
                    return Err(format!("the map key {name} twice"));
                }
            }
            json!({ "M": m })
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn n(s: &str) -> Value {
        Value::N(Number::parse(s).unwrap())
    }

    fn line(pairs: Vec<(&str, Value)>) -> String {
        item_line(&pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn items(text: &str) -> Vec<Result<Json, String>> {
        let mut r = ItemReader::new(text.as_bytes());
        std::iter::from_fn(|| r.next_item()).collect()
    }

    fn one(text: &str) -> Json {
        let got = items(text);
        assert_eq!(got.len(), 1, "{got:?}");
        got.into_iter().next().unwrap().unwrap()
    }

    #[test]
    fn the_documented_export_line() {
        let item = vec![
            (
                "Authors",
                Value::Ss(vec!["Author1".into(), "Author2".into()]),
            ),
            ("Dimensions", Value::S("8.5 x 11.0 x 1.5".into())),
            ("ISBN", Value::S("333-3333333333".into())),
            ("Id", n("103")),
            ("InPublication", Value::Bool(false)),
            ("PageCount", n("600")),
            ("Price", n("2000")),
            ("ProductCategory", Value::S("Book".into())),
            ("Title", Value::S("Book 103 Title".into())),
        ];
        assert_eq!(
            line(item),
            concat!(
                r#"$ion_1_0 {Item:{Authors:$dynamodb_SS::["Author1","Author2"],"#,
                r#"Dimensions:"8.5 x 11.0 x 1.5",ISBN:"333-3333333333",Id:103.,"#,
                r#"InPublication:false,PageCount:6d2,Price:2d3,ProductCategory:"Book","#,
                r#"Title:"Book 103 Title"}}"#
            )
        );
    }

    #[test]
    fn every_attribute_type_encodes() {
        let mut m = BTreeMap::new();
        m.insert("k".to_string(), Value::S("v".into()));
        let got = line(vec![
            ("s", Value::S("a\"b\\c\nd\u{1}é✓".into())),
            ("n", n("-1.5")),
            ("b", Value::B(vec![0, 255, 1])),
            ("t", Value::Bool(true)),
            ("z", Value::Null),
            ("m", Value::M(m)),
            (
                "l",
                Value::L(vec![n("1"), Value::S("x".into()), Value::L(vec![])]),
            ),
            ("ss", Value::Ss(vec!["a".into()])),
            (
                "ns",
                Value::Ns(vec![
                    Number::parse("1").unwrap(),
                    Number::parse("0.25").unwrap(),
                ]),
            ),
            ("bs", Value::Bs(vec![b"hi".to_vec()])),
        ]);
        assert_eq!(
            got,
            concat!(
                r#"$ion_1_0 {Item:{b:{{AP8B}},bs:$dynamodb_BS::[{{aGk=}}],l:[1.,"x",[]],"#,
                r#"m:{k:"v"},n:-1.5,ns:$dynamodb_NS::[1.,2.5d-1],"#,
                "s:\"a\\\"b\\\\c\\nd\\x01é✓\",ss:$dynamodb_SS::[\"a\"],t:true,z:null}}"
            )
        );
    }

    #[test]
    fn decimals_print_as_ion_java_prints_them() {
        let cases = [
            ("0", "0."),
            ("103", "103."),
            ("600", "6d2"),
            ("2000", "2d3"),
            ("1.5", "1.5"),
            ("123.456", "123.456"),
            ("0.05", "5d-2"),
            ("0.25", "2.5d-1"),
            ("-0.15", "-1.5d-1"),
            ("1E-130", "1d-130"),
            (
                "9.9999999999999999999999999999999999999E+125",
                "99999999999999999999999999999999999999d88",
            ),
            (
                "12345678901234567890123456789012345678",
                "12345678901234567890123456789012345678.",
            ),
        ];
        for (number, ion) in cases {
            let mut out = String::new();
            write_decimal(&mut out, &Number::parse(number).unwrap());
            assert_eq!(out, ion, "{number}");
            // And each reads back as the same number.
            let back = one(&format!("{{Item:{{n:{ion}}}}}"));
            let got = Number::parse(back["n"]["N"].as_str().unwrap()).unwrap();
            assert_eq!(got, Number::parse(number).unwrap(), "{ion}");
        }
    }

    #[test]
    fn field_names_are_quoted_when_they_must_be() {
        let cases = [
            ("plain", "plain"),
            ("_x$1", "_x$1"),
            ("$dollar", "$dollar"),
            ("with space", "'with space'"),
            ("1st", "'1st'"),
            ("a-b", "'a-b'"),
            ("null", "'null'"),
            ("true", "'true'"),
            ("nan", "'nan'"),
            ("$12", "'$12'"),
            ("it's", r"'it\'s'"),
            ("", "''"),
            ("é", "'é'"),
        ];
        for (name, ion) in cases {
            let mut out = String::new();
            write_symbol(&mut out, name);
            assert_eq!(out, ion);
            let back = one(&format!("{{Item:{{{ion}:true}}}}"));
            assert_eq!(back, json!({ name: {"BOOL": true} }), "{ion}");
        }
    }

    #[test]
    fn an_encoded_item_reads_back_identically() {
        let mut deep = Value::S("leaf".into());
        for _ in 0..30 {
            deep = Value::L(vec![deep]);
        }
        let mut m = BTreeMap::new();
        m.insert(
            "weird key'\"".to_string(),
            Value::Bs(vec![vec![1], vec![2, 3]]),
        );
        m.insert("deep".to_string(), deep);
        let item: Item = [
            (
                "pk".to_string(),
                Value::S("x\t\u{0}\u{7f}\u{10FFFF}".into()),
            ),
            ("n".to_string(), n("-12.5E-7")),
            ("m".to_string(), Value::M(m)),
            (
                "ns".to_string(),
                Value::Ns(vec![Number::parse("600").unwrap()]),
            ),
            ("nothing".to_string(), Value::Null),
        ]
        .into_iter()
        .collect();
        let back = one(&item_line(&item));
        assert_eq!(item::json::item_from_json(&back).unwrap(), item);
    }

    #[test]
    fn the_documented_import_examples_read() {
        // The export guide's line, and the import guide's list of items over many lines.
        let export = r#"$ion_1_0 {
            Item:{
                Authors:$dynamodb_SS::["Author1","Author2"],
                Dimensions:"8.5 x 11.0 x 1.5",
                ISBN:"333-3333333333",
                Id:103.,
                InPublication:false,
                PageCount:6d2,
                Price:2d3,
                ProductCategory:"Book",
                Title:"Book 103 Title"
            }
        }"#;
        let want = json!({
            "Authors": {"SS": ["Author1", "Author2"]},
            "Dimensions": {"S": "8.5 x 11.0 x 1.5"},
            "ISBN": {"S": "333-3333333333"},
            "Id": {"N": "103."},
            "InPublication": {"BOOL": false},
            "PageCount": {"N": "6E2"},
            "Price": {"N": "2E3"},
            "ProductCategory": {"S": "Book"},
            "Title": {"S": "Book 103 Title"},
        });
        assert_eq!(one(export), want);
        let parsed = item::json::item_from_json(&want).unwrap();
        assert_eq!(parsed.get("PageCount"), Some(&n("600")));
        let import = r#"
$ion_1_0
[
  {
    Item:{
      Authors:$dynamodb_SS::["Author1","Author2"],
      Id:103.,
      PageCount:6d2,
    }
  },
  {
    Item:{
      Id:104.,
      Price:2d3
    }
  }
]
"#;
        let got: Vec<Json> = items(import).into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(
            got,
            vec![
                json!({"Authors": {"SS": ["Author1", "Author2"]}, "Id": {"N": "103."}, "PageCount": {"N": "6E2"}}),
                json!({"Id": {"N": "104."}, "Price": {"N": "2E3"}}),
            ]
        );
        // One item a line, as an export writes them.
        let lines = "$ion_1_0 {Item:{Id:1.}}\n$ion_1_0 {Item:{Id:2.}}\n";
        assert_eq!(items(lines).len(), 2);
    }

    #[test]
    fn ion_text_as_ion_allows_it() {
        let text = r#"
            // a comment
            $ion_1_0 /* another */
            $ion_symbol_table::{ symbols: ["a"] }
            {'Item' : { "quoted name": '''long ''' /* joined */ '''string''',
                        esc: "\x41\u00e9\U0001F600\uD83D\uDE00\/\?\'\0\
continued",
                        i: 1_000, h: -0x1F, b: 0b101, f: 1.5e3, d: 1.5D-1, neg0: -0.,
                        e: {{ aGVs
                              bG8= }},
                        z: null.string, nested: some_annotation::{ x: [true, false, ] },
                      } }
        "#;
        assert_eq!(
            one(text),
            json!({
                "quoted name": {"S": "long string"},
                "esc": {"S": "Aé😀😀/?'\u{0}continued"},
                "i": {"N": "1000"},
                "h": {"N": "-31"},
                "b": {"N": "5"},
                "f": {"N": "1.5E3"},
                "d": {"N": "1.5E-1"},
                "neg0": {"N": "-0."},
                "e": {"B": "aGVsbG8="},
                "z": {"NULL": true},
                "nested": {"M": {"x": {"L": [{"BOOL": true}, {"BOOL": false}]}}},
            })
        );
    }

    #[test]
    fn what_dynamodb_cannot_hold_is_an_error() {
        let bad = [
            "{Item:{t:2007-01-01T}}",
            "{Item:{c:{{\"clob\"}}}}",
            "{Item:{s:(a b)}}",
            "{Item:{y:sym}}",
            "{Item:{x:nan}}",
            "{Item:{x:+inf}}",
            "{Item:{x:-inf}}",
            "{Item:{x:007}}",
            "{Item:{x:1__0}}",
            "{Item:{s:$dynamodb_SS::[1.]}}",
            "{Item:{s:$dynamodb_NS::\"x\"}}",
            "{Item:{s:\"unterminated}}",
            "{Item:{s:\"a\nb\"}}",
            "{Item:{b:{{not base64!}}}}",
            "{Item:{a:1.,a:2.}}",
            "{Item:{a:1.}, Other:2.}",
            "{NotItem:{a:1.}}",
            "[1., 2.]",
            "{Item:{a:1.}",
            "{Item:{a:\"\\q\"}}",
            "{Item:{a:\"\\uD800x\"}}",
        ];
        for text in bad {
            let got = items(text);
            assert!(matches!(got.last(), Some(Err(_))), "{text}: {got:?}");
        }
        // Nesting is bounded before the stack is.
        let deep = format!(
            "{{Item:{{a:{}{}}}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(matches!(items(&deep).as_slice(), [Err(_)]));
        // So is the text of one value.
        let huge = format!(
            "{{Item:{{a:\"{}\"}}}}",
            "x".repeat(MAX_VALUE_TEXT as usize + 1)
        );
        assert!(matches!(items(&huge).as_slice(), [Err(_)]));
        // After an error the reader stops.
        let got = items("{Item:{a:1.}} {Item:{a:sym}} {Item:{a:2.}}");
        assert_eq!(got.len(), 2);
    }
}

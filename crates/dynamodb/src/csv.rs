//! CSV as ImportTable reads it (InputFormat CSV): RFC 4180 records — fields separated by the
//! request's delimiter (`InputFormatOptions.Csv.Delimiter`, a comma by default), records by a
//! newline (LF or CRLF), a field in double quotes may hold the delimiter, newlines and quotes
//! doubled (`""`). The first record of each file names the columns, unless the request's
//! `HeaderList` does; then every record is data. Each data record is one item: the key
//! attributes of the table and of its indexes (its AttributeDefinitions) take their defined
//! type, every other column is a String, as AWS documents ("all columns other than the hash
//! range and keys of your base table and secondary indexes are imported as DynamoDB
//! strings"). An empty field gives no attribute.
//!
//! Records are read from a stream one at a time, and one record's text is bounded like an
//! item's, so a file without newlines does not fill memory.

use std::collections::HashMap;
use std::io::BufRead;

use serde_json::{json, Map, Value as Json};

/// Text one record may take: an item is at most 400 KB, and quoting at most doubles it.
pub const MAX_RECORD_TEXT: usize = 8 << 20;

/// The delimiters AWS allows (CsvDelimiter's pattern `[,;:|\t ]`).
pub const DELIMITERS: &[u8] = b",;:|\t ";

/// What the request says of CSV files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    pub delimiter: u8,
    /// The column names of every file; `None`: each file's first record names them.
    pub header: Option<Vec<String>>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            header: None,
        }
    }
}

impl CsvOptions {
    /// The options of a request's `InputFormatOptions` (already validated by ImportTable).
    pub fn from_request(options: Option<&Json>) -> CsvOptions {
        let csv = options.and_then(|o| o.get("Csv"));
        let delimiter = csv
            .and_then(|c| c.get("Delimiter"))
            .and_then(Json::as_str)
            .and_then(|d| d.bytes().next())
            .filter(|d| DELIMITERS.contains(d))
            .unwrap_or(b',');
        let header = csv
            .and_then(|c| c.get("HeaderList"))
            .and_then(Json::as_array)
            .map(|h| {
                h.iter()
                    .map(|n| n.as_str().unwrap_or_default().to_string())
                    .collect()
            });
        CsvOptions { delimiter, header }
    }
}

/// One record: its fields, or why its text is not one.
pub type Record = Result<Vec<String>, String>;

/// The records of one file, read from a stream.
pub struct RecordReader<R> {
    input: R,
    delimiter: u8,
    /// Bytes read from the file so far.
    offset: u64,
    /// Nothing more is read: the end of the file, or a record that was not one.
    done: bool,
}

enum State {
    /// At the start of a field.
    FieldStart,
    /// Inside a field without quotes.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// A quote inside a quoted field: doubled, or the field's end.
    QuoteInQuoted,
    /// A carriage return after a quoted field: a newline must follow.
    CrAfterQuoted,
}

impl<R: BufRead> RecordReader<R> {
    pub fn new(input: R, delimiter: u8) -> RecordReader<R> {
        RecordReader {
            input,
            delimiter,
            offset: 0,
            done: false,
        }
    }

    /// The next record that is not blank (a blank or whitespace-only line is skipped, as in
    /// the other formats), or `None` at the end of the file. After a malformed record,
    /// nothing more is read.
    pub fn next_record(&mut self) -> Option<Record> {
        loop {
            if self.done {
                return None;
            }
            match self.read_record() {
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Ok(Some(Raw { blank: true, .. })) => continue,
                Ok(Some(Raw { fields, .. })) => {
                    let fields = fields
                        .into_iter()
                        .map(|f| {
                            String::from_utf8(f)
                                .map_err(|_| "a field that is not UTF-8".to_string())
                        })
                        .collect::<Result<Vec<_>, _>>();
                    if fields.is_err() {
                        self.done = true;
                    }
                    return Some(fields);
                }
                Err(why) => {
                    self.done = true;
                    return Some(Err(why));
                }
            }
        }
    }

    /// Reads one record's bytes; `Ok(None)` at the end of the file.
    fn read_record(&mut self) -> Result<Option<Raw>, String> {
        let delimiter = self.delimiter;
        let mut fields: Vec<Vec<u8>> = Vec::new();
        let mut field: Vec<u8> = Vec::new();
        let mut state = State::FieldStart;
        let mut field_quoted = false;
        let mut blank = true;
        let mut size = 0usize;
        let mut started = false;
        let first = self.offset == 0;
        loop {
            let buf = self.input.fill_buf().map_err(|e| e.to_string())?;
            if buf.is_empty() {
                // The end of the file ends the record (a last line without its newline).
                return match state {
                    State::Quoted => Err(format!(
                        "a quoted field not closed at the end of the file (byte {})",
                        self.offset
                    )),
                    State::CrAfterQuoted => Err(format!(
                        "a carriage return without a newline at byte {}",
                        self.offset
                    )),
                    _ if !started => Ok(None),
                    _ => {
                        end_field(&mut fields, &mut field, field_quoted);
                        Ok(Some(Raw { fields, blank }))
                    }
                };
            }
            // A UTF-8 byte order mark at the start of a file is not data.
            let skip = if first && !started && buf.starts_with(b"\xEF\xBB\xBF") {
                3
            } else {
                0
            };
            let mut used = skip;
            let mut ended = false;
            for &b in &buf[skip..] {
                used += 1;
                started = true;
                match state {
                    State::FieldStart | State::Unquoted => {
                        if b == b'\n' {
                            end_field(&mut fields, &mut field, field_quoted);
                            ended = true;
                            break;
                        } else if b == delimiter {
                            if !matches!(b, b' ' | b'\t') {
                                blank = false;
                            }
                            end_field(&mut fields, &mut field, field_quoted);
                            field_quoted = false;
                            state = State::FieldStart;
                        } else if b == b'"' {
                            if matches!(state, State::Unquoted) {
                                return Err(format!(
                                    "a double quote inside a field without quotes at byte {} (a quote must be doubled, in a quoted field)",
                                    self.offset + used as u64
                                ));
                            }
                            field_quoted = true;
                            blank = false;
                            state = State::Quoted;
                        } else {
                            if !matches!(b, b' ' | b'\t' | b'\r') {
                                blank = false;
                            }
                            field.push(b);
                            state = State::Unquoted;
                        }
                    }
                    State::Quoted => {
                        if b == b'"' {
                            state = State::QuoteInQuoted;
                        } else {
                            field.push(b);
                        }
                    }
                    State::QuoteInQuoted => {
                        if b == b'"' {
                            field.push(b'"');
                            state = State::Quoted;
                        } else if b == delimiter {
                            end_field(&mut fields, &mut field, field_quoted);
                            field_quoted = false;
                            state = State::FieldStart;
                        } else if b == b'\n' {
                            end_field(&mut fields, &mut field, field_quoted);
                            ended = true;
                            break;
                        } else if b == b'\r' {
                            state = State::CrAfterQuoted;
                        } else {
                            return Err(format!(
                                "text after a quoted field's closing quote at byte {} (a quote inside it must be doubled)",
                                self.offset + used as u64
                            ));
                        }
                    }
                    State::CrAfterQuoted => {
                        if b != b'\n' {
                            return Err(format!(
                                "a carriage return without a newline at byte {}",
                                self.offset + used as u64
                            ));
                        }
                        end_field(&mut fields, &mut field, field_quoted);
                        ended = true;
                        break;
                    }
                }
            }
            self.input.consume(used);
            self.offset += used as u64;
            size += used;
            if size > MAX_RECORD_TEXT {
                return Err(format!(
                    "a record longer than {MAX_RECORD_TEXT} bytes of text"
                ));
            }
            if ended {
                return Ok(Some(Raw { fields, blank }));
            }
        }
    }
}

/// A record's fields as bytes, and whether its line held nothing but whitespace.
struct Raw {
    fields: Vec<Vec<u8>>,
    blank: bool,
}

/// Ends a field: an unquoted field at the end of a CRLF line loses its carriage return.
fn end_field(fields: &mut Vec<Vec<u8>>, field: &mut Vec<u8>, quoted: bool) {
    let mut f = std::mem::take(field);
    if !quoted && f.last() == Some(&b'\r') {
        f.pop();
    }
    fields.push(f);
}

/// Checks a header record's column names: each names an attribute, once.
pub fn check_header(names: &[String]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for n in names {
        if n.is_empty() {
            return Err("a header with an empty column name".into()); // message unverified
        }
        if !seen.insert(n.as_str()) {
            return Err(format!("a header naming the column {n} twice")); // message unverified
        }
    }
    Ok(())
}

/// The item of a data record, as DynamoDB JSON: a column of `types` (attribute name → S, N
/// or B) takes that type, any other is a String; an empty field is no attribute. The record
/// must have as many fields as the header has columns.
pub fn item_json(
    header: &[String],
    fields: Vec<String>,
    types: &HashMap<String, String>,
) -> Result<Json, String> {
    if fields.len() != header.len() {
        return Err(format!(
            "a record of {} fields where the header has {} columns",
            fields.len(),
            header.len()
        ));
    }
    let mut item = Map::new();
    for (name, value) in header.iter().zip(fields) {
        if value.is_empty() {
            continue;
        }
        let ty = types.get(name).map_or("S", String::as_str);
        item.insert(name.clone(), json!({ ty: value }));
    }
    Ok(Json::Object(item))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str, delimiter: u8) -> Vec<Record> {
        let mut r = RecordReader::new(
            std::io::BufReader::with_capacity(3, text.as_bytes()),
            delimiter,
        );
        std::iter::from_fn(|| r.next_record()).collect()
    }

    fn ok(fields: &[&str]) -> Record {
        Ok(fields.iter().map(|f| f.to_string()).collect())
    }

    #[test]
    fn reads_rfc_4180_records() {
        let got = records(
            "\u{feff}id,value\r\n\"1\",\"say \"\"hi\"\", a\nb\"\n\n  \n2,\r\n3,\"\"\nlast,x",
            b',',
        );
        assert_eq!(
            got,
            vec![
                ok(&["id", "value"]),
                ok(&["1", "say \"hi\", a\nb"]),
                ok(&["2", ""]),
                ok(&["3", ""]),
                ok(&["last", "x"]),
            ]
        );
    }

    #[test]
    fn other_delimiters_and_crlf_after_quotes() {
        assert_eq!(
            records("a|\"b|c\"\r\nd|e\n", b'|'),
            vec![ok(&["a", "b|c"]), ok(&["d", "e"])]
        );
        assert_eq!(records("a\tb c\n", b'\t'), vec![ok(&["a", "b c"])]);
        assert_eq!(records("a b\n", b' '), vec![ok(&["a", "b"])]);
    }

    #[test]
    fn a_malformed_record_ends_the_file() {
        for bad in ["a,b\"c\nd,e\n", "a,\"b\"c\nd,e\n", "a,\"b\nc,d\n"] {
            let got = records(bad, b',');
            assert_eq!(got.len(), 1, "{bad:?}: {got:?}");
            assert!(got[0].is_err(), "{bad:?}: {got:?}");
        }
        let got = records("a,b\n\u{ff}\n", b',');
        assert_eq!(got, vec![ok(&["a", "b"]), ok(&["\u{ff}"])]);
        let mut r = RecordReader::new(&b"a,\xff\nb,c\n"[..], b',');
        assert!(matches!(r.next_record(), Some(Err(_))));
        assert!(r.next_record().is_none());
    }

    #[test]
    fn a_record_is_bounded() {
        let long = "x".repeat(MAX_RECORD_TEXT + 1);
        let got = records(&format!("a\n{long}\nb\n"), b',');
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], ok(&["a"]));
        assert!(got[1].as_ref().is_err_and(|e| e.contains("longer than")));
    }

    #[test]
    fn items_type_key_columns_and_leave_out_empty_fields() {
        let header: Vec<String> = ["id", "n", "other"].iter().map(|s| s.to_string()).collect();
        let types = HashMap::from([("n".to_string(), "N".to_string())]);
        let item = item_json(&header, vec!["a".into(), "12".into(), "".into()], &types);
        assert_eq!(item, Ok(json!({"id": {"S": "a"}, "n": {"N": "12"}})));
        assert!(item_json(&header, vec!["a".into()], &types).is_err());
        assert!(check_header(&header).is_ok());
        assert!(check_header(&["a".into(), "".into()]).is_err());
        assert!(check_header(&["a".into(), "a".into()]).is_err());
    }

    #[test]
    fn options_from_the_request() {
        assert_eq!(CsvOptions::from_request(None), CsvOptions::default());
        let o = json!({"Csv": {"Delimiter": "|", "HeaderList": ["a", "b"]}});
        assert_eq!(
            CsvOptions::from_request(Some(&o)),
            CsvOptions {
                delimiter: b'|',
                header: Some(vec!["a".into(), "b".into()])
            }
        );
    }
}

//! Tokens shared by the three expression grammars, and the cursor the parsers walk them with.
//!
//! The lexer never fails: a character no grammar accepts becomes an `Unknown` token, so that the
//! parser reports it the way AWS does, as `Syntax error; token: "!", near: "= !!"`.

use super::error::{ExprError, ExprKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// `[A-Za-z][A-Za-z0-9_]*`: attribute names, function names and keywords alike; which one
    /// it is depends on where the grammar meets it. (AWS's lexer does not start a name with `_`
    /// or a digit: `SET _a = :v` fails on the token `_`.)
    Ident,
    /// `#` followed by `[A-Za-z0-9_]+`; a lone `#` is an unknown token.
    Name,
    /// `:` followed by `[A-Za-z0-9_]+`; a lone `:` is an unknown token.
    Value,
    /// `[0-9]+`, only meaningful as a list index.
    Number,
    /// One of `( ) [ ] , . = <> < <= > >= + -`.
    Punct,
    /// Any other character.
    Unknown,
    /// End of input, reported as `<EOF>`.
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokKind,
    /// Byte range in the source text.
    pub start: usize,
    pub end: usize,
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Splits `src` into tokens, dropping whitespace (space, tab, CR, LF), and appends an `Eof`.
pub(crate) fn lex(src: &str) -> Vec<Token> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let run = |from: usize| {
        let mut j = from;
        while bytes.get(j).is_some_and(|b| is_ident_char(*b)) {
            j += 1;
        }
        j
    };
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let kind = match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'a'..=b'z' | b'A'..=b'Z' => {
                i = run(i);
                TokKind::Ident
            }
            b'0'..=b'9' => {
                while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                TokKind::Number
            }
            b'#' | b':' => {
                i = run(i + 1);
                if i == start + 1 {
                    TokKind::Unknown
                } else if b == b'#' {
                    TokKind::Name
                } else {
                    TokKind::Value
                }
            }
            b'<' => {
                i += match bytes.get(i + 1) {
                    Some(b'>') | Some(b'=') => 2,
                    _ => 1,
                };
                TokKind::Punct
            }
            b'>' => {
                i += if bytes.get(i + 1) == Some(&b'=') {
                    2
                } else {
                    1
                };
                TokKind::Punct
            }
            b'(' | b')' | b'[' | b']' | b',' | b'.' | b'=' | b'+' | b'-' => {
                i += 1;
                TokKind::Punct
            }
            _ => {
                // One whole character, however many bytes it takes.
                let len = src
                    .get(i..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(1, char::len_utf8);
                i += len;
                TokKind::Unknown
            }
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out.push(Token {
        kind: TokKind::Eof,
        start: src.len(),
        end: src.len(),
    });
    out
}

/// A parser's position in the token list. Parsers that try alternatives rewind `pos`; every
/// failed expectation records how far parsing got, and the syntax error names the furthest
/// token any alternative failed at, as a PEG/LL parser reports it.
pub(crate) struct Cursor<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pub pos: usize,
    furthest: usize,
}

/// Parse failure; the details live in the cursor (`furthest`), so this carries nothing.
#[derive(Debug)]
pub(crate) struct Fail;

pub(crate) type PResult<T> = Result<T, Fail>;

const EOF_TOKEN: Token = Token {
    kind: TokKind::Eof,
    start: 0,
    end: 0,
};

impl<'s> Cursor<'s> {
    pub fn new(src: &'s str) -> Cursor<'s> {
        Cursor {
            src,
            toks: lex(src),
            pos: 0,
            furthest: 0,
        }
    }

    pub fn tok_at(&self, pos: usize) -> Token {
        self.toks
            .get(pos)
            .or_else(|| self.toks.last())
            .copied()
            .unwrap_or(EOF_TOKEN)
    }

    pub fn peek(&self) -> Token {
        self.tok_at(self.pos)
    }

    pub fn peek_kind(&self) -> TokKind {
        self.peek().kind
    }

    pub fn text_of(&self, t: Token) -> &'s str {
        self.src.get(t.start..t.end).unwrap_or("")
    }

    pub fn bump(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    /// Records that the grammar expected something else at the current token.
    pub fn miss(&mut self) {
        self.furthest = self.furthest.max(self.pos);
    }

    /// Records a miss and fails.
    pub fn fail<T>(&mut self) -> PResult<T> {
        self.miss();
        Err(Fail)
    }

    pub fn at_eof(&self) -> bool {
        self.peek_kind() == TokKind::Eof
    }

    pub fn is_punct(&self, p: &str) -> bool {
        let t = self.peek();
        t.kind == TokKind::Punct && self.text_of(t) == p
    }

    /// Consumes `p` if it is next; otherwise records the miss.
    pub fn eat_punct(&mut self, p: &str) -> bool {
        if self.is_punct(p) {
            self.bump();
            true
        } else {
            self.miss();
            false
        }
    }

    pub fn expect_punct(&mut self, p: &str) -> PResult<()> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            Err(Fail)
        }
    }

    /// True if the next token is the keyword `kw` (keywords are case-insensitive).
    pub fn is_keyword(&self, kw: &str) -> bool {
        let t = self.peek();
        t.kind == TokKind::Ident && self.text_of(t).eq_ignore_ascii_case(kw)
    }

    pub fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.is_keyword(kw) {
            self.bump();
            true
        } else {
            self.miss();
            false
        }
    }

    /// True if the token after the next one is `(`: an identifier before it names a function.
    pub fn next_is_call(&self) -> bool {
        let t = self.tok_at(self.pos + 1);
        t.kind == TokKind::Punct && self.text_of(t) == "("
    }

    /// AWS's syntax error, at the furthest token any alternative failed at: the token's text
    /// (`<EOF>` at the end) and the text from the token before it to the token after it.
    pub fn syntax_error(&self, kind: ExprKind) -> ExprError {
        let at = self.furthest.min(self.toks.len().saturating_sub(1));
        let tok = self.tok_at(at);
        let shown = if tok.kind == TokKind::Eof {
            "<EOF>"
        } else {
            self.text_of(tok)
        };
        let from = if at > 0 {
            self.tok_at(at - 1).start
        } else {
            tok.start
        };
        let next = self.tok_at(at + 1);
        // At the end, everything after the last token (AWS keeps its trailing blank).
        let to = match (tok.kind, next.kind) {
            (TokKind::Eof, _) => self.src.len(),
            (_, TokKind::Eof) => tok.end,
            _ => next.end,
        };
        let near = self.src.get(from..to).unwrap_or("");
        ExprError::invalid(
            kind,
            format!("Syntax error; token: \"{shown}\", near: \"{near}\""),
        )
    }
}

/// Parses the digits of a list index; absurdly long ones saturate (they can never be in range).
pub(crate) fn parse_index(digits: &str) -> usize {
    digits.bytes().fold(0usize, |acc, d| {
        acc.saturating_mul(10)
            .saturating_add(usize::from(d.saturating_sub(b'0')))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokKind, &str)> {
        lex(src)
            .into_iter()
            .map(|t| (t.kind, &src[t.start..t.end]))
            .collect()
    }

    #[test]
    fn lexes_every_token_kind() {
        use TokKind::*;
        assert_eq!(
            kinds("a.b[12] <> #n AND :v<=x>=y<z>w,(+-)"),
            vec![
                (Ident, "a"),
                (Punct, "."),
                (Ident, "b"),
                (Punct, "["),
                (Number, "12"),
                (Punct, "]"),
                (Punct, "<>"),
                (Name, "#n"),
                (Ident, "AND"),
                (Value, ":v"),
                (Punct, "<="),
                (Ident, "x"),
                (Punct, ">="),
                (Ident, "y"),
                (Punct, "<"),
                (Ident, "z"),
                (Punct, ">"),
                (Ident, "w"),
                (Punct, ","),
                (Punct, "("),
                (Punct, "+"),
                (Punct, "-"),
                (Punct, ")"),
                (Eof, ""),
            ]
        );
    }

    #[test]
    fn unknown_characters_are_single_tokens() {
        use TokKind::*;
        assert_eq!(
            kinds("ü!$"),
            vec![(Unknown, "ü"), (Unknown, "!"), (Unknown, "$"), (Eof, "")]
        );
        assert_eq!(
            kinds("# : _a #_ :_"),
            vec![
                (Unknown, "#"),
                (Unknown, ":"),
                (Unknown, "_"),
                (Ident, "a"),
                (Name, "#_"),
                (Value, ":_"),
                (Eof, "")
            ]
        );
    }

    #[test]
    fn index_parsing_saturates() {
        assert_eq!(parse_index("0"), 0);
        assert_eq!(parse_index("0042"), 42);
        assert_eq!(parse_index("99999999999999999999999999"), usize::MAX);
    }
}

//! PartiQL tokens as DynamoDB's front end (partiql-lang-kotlin's lexer) reads them: bare and
//! double-quoted identifiers, single-quoted strings, numbers, `?` parameters and operators;
//! whitespace and comments (`-- …` to the end of the line, `/* … */`) are dropped.

/// One token. Identifiers keep their text as written: DynamoDB names attributes and tables
/// case-sensitively even where PartiQL would fold them; keywords compare case-insensitively.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// `[A-Za-z_$][A-Za-z0-9_$]*`: keywords and bare identifiers alike.
    Ident(String),
    /// `"…"`, with `""` standing for one quote.
    Quoted(String),
    /// `'…'`, with `''` standing for one quote.
    Str(String),
    /// `12`, `1.5`, `.5`, `1e3`: the text, checked when converted.
    Num(String),
    /// `?`, a positional parameter.
    Param,
    /// An operator or punctuation mark.
    Punct(&'static str),
    /// A character no token starts with, or an unterminated string or comment.
    Bad(String),
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// Byte offset in the statement.
    pub pos: usize,
}

const PUNCTS: &[&str] = &[
    "<<", ">>", "<>", "!=", "<=", ">=", "||", "(", ")", "[", "]", "{", "}", ",", ".", ":", ";",
    "*", "+", "-", "/", "%", "=", "<", ">", "@",
];

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Splits a statement into tokens, ending with `Eof`.
pub(crate) fn lex(src: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|(_, c)| *c);
    let offset = |i: usize| chars.get(i).map_or(src.len(), |(p, _)| *p);
    let mut i = 0;
    while let Some(c) = at(i) {
        let pos = offset(i);
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '-' && at(i + 1) == Some('-') {
            while at(i).is_some_and(|c| c != '\n') {
                i += 1;
            }
            continue;
        }
        if c == '/' && at(i + 1) == Some('*') {
            i += 2;
            loop {
                match at(i) {
                    None => {
                        out.push(Token {
                            tok: Tok::Bad("/*".into()),
                            pos,
                        });
                        break;
                    }
                    Some('*') if at(i + 1) == Some('/') => {
                        i += 2;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            continue;
        }
        let tok = if ident_start(c) {
            let start = i;
            while at(i).is_some_and(ident_char) {
                i += 1;
            }
            Tok::Ident(src[offset(start)..offset(i)].to_string())
        } else if c.is_ascii_digit() || (c == '.' && at(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while at(i).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
            }
            if at(i) == Some('.') && !at(i + 1).is_some_and(ident_start) {
                i += 1;
                while at(i).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1;
                }
            }
            if matches!(at(i), Some('e' | 'E')) {
                let sign = usize::from(matches!(at(i + 1), Some('+' | '-')));
                if at(i + 1 + sign).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1 + sign;
                    while at(i).is_some_and(|d| d.is_ascii_digit()) {
                        i += 1;
                    }
                }
            }
            Tok::Num(src[offset(start)..offset(i)].to_string())
        } else if c == '\'' || c == '"' {
            i += 1;
            let mut text = String::new();
            let mut closed = false;
            while let Some(d) = at(i) {
                i += 1;
                if d == c {
                    if at(i) == Some(c) {
                        text.push(c);
                        i += 1;
                        continue;
                    }
                    closed = true;
                    break;
                }
                text.push(d);
            }
            match (closed, c) {
                (false, _) => Tok::Bad(c.to_string()),
                (true, '\'') => Tok::Str(text),
                (true, _) => Tok::Quoted(text),
            }
        } else if c == '?' {
            i += 1;
            Tok::Param
        } else if let Some(p) = PUNCTS
            .iter()
            .find(|p| p.chars().enumerate().all(|(k, pc)| at(i + k) == Some(pc)))
        {
            i += p.chars().count();
            Tok::Punct(p)
        } else {
            i += 1;
            Tok::Bad(c.to_string())
        };
        out.push(Token { tok, pos });
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: src.len(),
    });
    out
}

/// PartiQL's reserved words (SQL-92's and PartiQL's own, as partiql-lang-kotlin lists them):
/// none of them can name a table or an attribute unless double-quoted.
pub(crate) fn is_keyword(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    KEYWORDS.binary_search(&w.as_str()).is_ok()
}

/// Sorted for binary search.
const KEYWORDS: &[&str] = &[
    "absolute",
    "action",
    "add",
    "all",
    "allocate",
    "alter",
    "and",
    "any",
    "are",
    "as",
    "asc",
    "assertion",
    "at",
    "authorization",
    "avg",
    "bag",
    "begin",
    "between",
    "bigint",
    "bit",
    "bit_length",
    "blob",
    "bool",
    "boolean",
    "both",
    "by",
    "can_cast",
    "can_lossless_cast",
    "cascade",
    "cascaded",
    "case",
    "cast",
    "catalog",
    "char",
    "char_length",
    "character",
    "character_length",
    "check",
    "clob",
    "close",
    "coalesce",
    "collate",
    "collation",
    "column",
    "commit",
    "conflict",
    "connect",
    "connection",
    "constraint",
    "constraints",
    "continue",
    "convert",
    "corresponding",
    "count",
    "create",
    "cross",
    "current",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "cursor",
    "date",
    "date_add",
    "date_diff",
    "deallocate",
    "dec",
    "decimal",
    "declare",
    "default",
    "deferrable",
    "deferred",
    "delete",
    "desc",
    "describe",
    "descriptor",
    "diagnostics",
    "disconnect",
    "distinct",
    "do",
    "domain",
    "double",
    "drop",
    "else",
    "end",
    "end-exec",
    "escape",
    "except",
    "exception",
    "exec",
    "execute",
    "exists",
    "external",
    "extract",
    "false",
    "fetch",
    "first",
    "float",
    "for",
    "foreign",
    "found",
    "from",
    "full",
    "get",
    "global",
    "go",
    "goto",
    "grant",
    "group",
    "having",
    "identity",
    "immediate",
    "in",
    "index",
    "indicator",
    "initially",
    "inner",
    "input",
    "insensitive",
    "insert",
    "int",
    "int2",
    "int4",
    "int8",
    "integer",
    "integer2",
    "integer4",
    "integer8",
    "intersect",
    "interval",
    "into",
    "is",
    "isolation",
    "join",
    "key",
    "language",
    "last",
    "leading",
    "left",
    "let",
    "level",
    "like",
    "limit",
    "list",
    "local",
    "lower",
    "match",
    "max",
    "min",
    "missing",
    "modified",
    "module",
    "names",
    "national",
    "natural",
    "nchar",
    "new",
    "next",
    "no",
    "not",
    "nothing",
    "null",
    "nullif",
    "numeric",
    "octet_length",
    "of",
    "offset",
    "old",
    "on",
    "only",
    "open",
    "option",
    "or",
    "order",
    "outer",
    "output",
    "overlaps",
    "pad",
    "partial",
    "pivot",
    "position",
    "precision",
    "prepare",
    "preserve",
    "primary",
    "prior",
    "privileges",
    "procedure",
    "public",
    "read",
    "real",
    "references",
    "relative",
    "remove",
    "restrict",
    "returning",
    "revoke",
    "right",
    "rollback",
    "rows",
    "schema",
    "scroll",
    "section",
    "select",
    "session",
    "session_user",
    "set",
    "sexp",
    "size",
    "smallint",
    "some",
    "space",
    "sql",
    "sqlcode",
    "sqlerror",
    "sqlstate",
    "string",
    "struct",
    "substring",
    "sum",
    "symbol",
    "system_user",
    "table",
    "temporary",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "transaction",
    "translate",
    "translation",
    "trim",
    "true",
    "tuple",
    "union",
    "unique",
    "unknown",
    "unpivot",
    "update",
    "upper",
    "usage",
    "user",
    "using",
    "value",
    "values",
    "varchar",
    "varying",
    "view",
    "when",
    "whenever",
    "where",
    "with",
    "work",
    "write",
    "zone",
];

/// Keywords that are also function names (`size(a)`, `exists(…)`).
pub(crate) fn is_function_keyword(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "exists"
            | "count"
            | "avg"
            | "max"
            | "min"
            | "sum"
            | "substring"
            | "char_length"
            | "character_length"
            | "octet_length"
            | "bit_length"
            | "upper"
            | "lower"
            | "size"
            | "sexp"
            | "list"
            | "bag"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn keywords_are_sorted() {
        let mut sorted = KEYWORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, KEYWORDS);
        assert!(is_keyword("PAD") && is_keyword("Select") && !is_keyword("name"));
    }

    #[test]
    fn lexes_literals_and_operators() {
        assert_eq!(
            toks("SELECT \"a\"\"b\" FROM t WHERE x <> 'it''s' AND n >= -1.5e3 -- c\n/* d */ ?"),
            vec![
                Tok::Ident("SELECT".into()),
                Tok::Quoted("a\"b".into()),
                Tok::Ident("FROM".into()),
                Tok::Ident("t".into()),
                Tok::Ident("WHERE".into()),
                Tok::Ident("x".into()),
                Tok::Punct("<>"),
                Tok::Str("it's".into()),
                Tok::Ident("AND".into()),
                Tok::Ident("n".into()),
                Tok::Punct(">="),
                Tok::Punct("-"),
                Tok::Num("1.5e3".into()),
                Tok::Param,
                Tok::Eof,
            ]
        );
        assert_eq!(
            toks("<<1,2>> a.b[0]"),
            vec![
                Tok::Punct("<<"),
                Tok::Num("1".into()),
                Tok::Punct(","),
                Tok::Num("2".into()),
                Tok::Punct(">>"),
                Tok::Ident("a".into()),
                Tok::Punct("."),
                Tok::Ident("b".into()),
                Tok::Punct("["),
                Tok::Num("0".into()),
                Tok::Punct("]"),
                Tok::Eof,
            ]
        );
        assert!(matches!(toks("'abc").first(), Some(Tok::Bad(_))));
    }
}

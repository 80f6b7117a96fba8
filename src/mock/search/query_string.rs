//! The `query_string` syntax, as far as agents and our search tool use it: words, quoted
//! phrases, `field:value`, `*`/`?` wildcards, `AND`/`OR`/`NOT`, `+`/`-` prefixes, parentheses
//! and backslash escapes. Text is matched as the standard analyzer would: lower-cased and split
//! into letter-and-digit tokens; a term of several tokens (`RNA-seq`) must appear as a phrase.

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    /// A term, with the field it is limited to.
    Term {
        field: Option<String>,
        text: String,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    All,
}

/// The tokens of `text` as the standard analyzer makes them.
fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '*' && c != '?')
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `*` and `?` glob matching (iterative, linear in practice).
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Expr {
    /// Parses `text`; `or` makes juxtaposed terms alternatives instead of requirements.
    pub(crate) fn parse(text: &str, or: bool) -> Result<Expr, String> {
        let lexemes = lex(text)?;
        let mut parser = Parser { lexemes, at: 0, or };
        let expr = parser.expression()?;
        match parser.lexemes.get(parser.at) {
            None => Ok(expr),
            Some(extra) => Err(format!("unexpected {extra:?}")),
        }
    }

    /// The score of a document (field, text pairs), `None` if it does not match.
    pub(crate) fn score(&self, fields: &[(&str, String)]) -> Option<f64> {
        match self {
            Expr::All => Some(1.0),
            Expr::Term { field, text } => {
                let wanted = tokens(text);
                let mut total = 0.0;
                for (name, value) in fields {
                    if field
                        .as_deref()
                        .is_some_and(|f| f != *name && !(f == "name" && *name == "ptr_name"))
                    {
                        continue;
                    }
                    let have = tokens(value);
                    let whole = value.to_lowercase();
                    // How often the term occurs (capped: a long file must not drown a name).
                    let hits = if wanted.is_empty() {
                        0
                    } else if wanted.len() == 1 && wanted[0].contains(['*', '?']) {
                        let tokens = have.iter().filter(|t| glob(&wanted[0], t)).count();
                        tokens.max(usize::from(glob(&wanted[0], &whole)))
                    } else {
                        have.windows(wanted.len())
                            .filter(|w| w.iter().zip(&wanted).all(|(a, b)| glob(b, a)))
                            .count()
                    };
                    if hits > 0 {
                        let boost = if matches!(*name, "key" | "ptr_name" | "entry_lk") {
                            3.0
                        } else {
                            1.0
                        };
                        total += boost * (1.0 + (hits.min(10) as f64).ln());
                    }
                }
                (total > 0.0).then_some(total)
            }
            Expr::And(parts) => parts
                .iter()
                .try_fold(0.0, |sum, p| Some(sum + p.score(fields)?)),
            Expr::Or(parts) => {
                let scores: Vec<f64> = parts.iter().filter_map(|p| p.score(fields)).collect();
                (!scores.is_empty()).then(|| scores.iter().sum())
            }
            Expr::Not(inner) => match inner.score(fields) {
                Some(_) => None,
                None => Some(0.0),
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Lexeme {
    Word(String),
    Phrase(String),
    Open,
    Close,
    Plus,
    Minus,
}

fn lex(text: &str) -> Result<Vec<Lexeme>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Lexeme::Open);
            }
            ')' => {
                chars.next();
                out.push(Lexeme::Close);
            }
            '"' => {
                chars.next();
                let mut phrase = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => phrase.extend(chars.next()),
                        Some(c) => phrase.push(c),
                        None => return Err("unterminated phrase".into()),
                    }
                }
                out.push(Lexeme::Phrase(phrase));
            }
            '+' | '-' => {
                chars.next();
                out.push(if c == '+' {
                    Lexeme::Plus
                } else {
                    Lexeme::Minus
                });
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    chars.next();
                    if c == '\\' {
                        // An escaped colon is text, never a field separator.
                        word.extend(
                            chars
                                .next()
                                .map(|e| if e == ':' { ESCAPED_COLON } else { e }),
                        );
                    } else {
                        word.push(c);
                    }
                }
                out.push(Lexeme::Word(word));
            }
        }
    }
    Ok(out)
}

struct Parser {
    lexemes: Vec<Lexeme>,
    at: usize,
    or: bool,
}

impl Parser {
    fn peek(&self) -> Option<&Lexeme> {
        self.lexemes.get(self.at)
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Lexeme::Word(w)) if w == word)
    }

    /// expression := conjunction (OR conjunction)*
    fn expression(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.conjunction()?];
        while self.keyword("OR") || self.keyword("||") {
            self.at += 1;
            parts.push(self.conjunction()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    /// conjunction := unary ((AND)? unary)*, juxtaposition taking the default operator.
    fn conjunction(&mut self) -> Result<Expr, String> {
        let mut required = Vec::new();
        let mut optional = Vec::new();
        loop {
            match self.peek() {
                None | Some(Lexeme::Close) => break,
                _ if self.keyword("OR") || self.keyword("||") => break,
                _ => {}
            }
            let explicit_and = self.keyword("AND") || self.keyword("&&");
            if explicit_and {
                self.at += 1;
            }
            let (expr, forced) = self.unary()?;
            if forced || explicit_and || !self.or || required.is_empty() && optional.is_empty() {
                required.push(expr);
            } else {
                optional.push(expr);
            }
        }
        if !optional.is_empty() {
            let mut any = required.split_off(usize::from(!required.is_empty() && self.or));
            any.extend(optional);
            required.push(Expr::Or(any));
        }
        Ok(match required.len() {
            0 => Expr::All,
            1 => required.remove(0),
            _ => Expr::And(required),
        })
    }

    /// unary := (NOT | - | +)? primary; the bool says whether it was forced (+, -, NOT).
    fn unary(&mut self) -> Result<(Expr, bool), String> {
        if self.keyword("NOT") || self.keyword("!") || self.peek() == Some(&Lexeme::Minus) {
            self.at += 1;
            return Ok((Expr::Not(Box::new(self.primary()?)), true));
        }
        if self.peek() == Some(&Lexeme::Plus) {
            self.at += 1;
            return Ok((self.primary()?, true));
        }
        Ok((self.primary()?, false))
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let next = self.peek().cloned();
        self.at += 1;
        match next {
            Some(Lexeme::Open) => {
                let inner = self.expression()?;
                match self.peek() {
                    Some(Lexeme::Close) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err("missing )".into()),
                }
            }
            Some(Lexeme::Phrase(text)) => Ok(Expr::Term { field: None, text }),
            Some(Lexeme::Word(word)) => {
                let literal = |text: &str| text.replace(ESCAPED_COLON, ":");
                Ok(match split_field(&word) {
                    Some((field, value)) if !value.is_empty() => Expr::Term {
                        field: Some(field),
                        text: literal(&value),
                    },
                    _ => Expr::Term {
                        field: None,
                        text: literal(&word),
                    },
                })
            }
            other => Err(format!("expected a term, found {other:?}")),
        }
    }
}

/// Stands for an escaped colon (`\:`) inside a word until the word is split into field and
/// value, so `s3\:\/\/bucket` stays a term instead of the field `s3`.
const ESCAPED_COLON: char = '\u{E000}';

/// `field:value` when the word has an unescaped colon after a plain field name (letters,
/// digits, `_` and `.`).
fn split_field(word: &str) -> Option<(String, String)> {
    let (field, value) = word.split_once(':')?;
    let plain = !field.is_empty()
        && field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    plain.then(|| (field.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Vec<(&'static str, String)> {
        vec![
            ("content", text.to_string()),
            ("key", "team/rnaseq-2024/README.md".to_string()),
        ]
    }

    #[test]
    fn words_phrases_and_operators() {
        let matches =
            |q: &str, text: &str| Expr::parse(q, false).expect(q).score(&doc(text)).is_some();
        assert!(matches("RNA\\-seq", "bulk RNA-seq of mouse liver"));
        assert!(!matches("RNA\\-seq", "RNA of seq"));
        assert!(matches("rnaseq", "anything"), "the key has the token");
        assert!(matches("liver AND mouse", "mouse liver"));
        assert!(!matches("liver kidney", "mouse liver"));
        assert!(matches("liver OR kidney", "mouse liver"));
        assert!(matches("liver -kidney", "mouse liver"));
        assert!(!matches("liver NOT mouse", "mouse liver"));
        assert!(matches("liv*", "mouse liver"));
        assert!(matches("key:*.md", ""));
        assert!(matches("\"mouse liver\"", "bulk mouse liver"));
        assert!(matches("(kidney OR liver) mouse", "mouse liver"));
        assert!(
            matches(r"s3\:\/\/bucket\/raw", "see s3://bucket/raw/x"),
            "an escaped colon is literal, not a field"
        );
        assert!(!matches(r"s3\:\/\/bucket\/raw", "see bucket/raw/x"));
        assert!(Expr::parse("(unclosed", false).is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("*.csv", "a/b.csv"));
        assert!(glob("s?mple*", "sample1"));
        assert!(!glob("*.csv", "a.tsv"));
    }
}

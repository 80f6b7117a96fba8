//! fnmatch-style globs, as upstream's include and exclude patterns are matched.
//!
//! A pattern is compiled once per call ([`Glob::new`], length-limited) and every match spends
//! from one step budget ([`Budget`]), so hostile patterns (`*[` and 100,000 characters, or
//! `*aaa…ab`) over a long listing cost a bounded, small amount of CPU and end in a clear
//! error instead of holding a runtime worker for seconds.

/// The longest pattern accepted, in characters (S3 keys are at most 1,024 bytes).
pub const MAX_PATTERN_CHARS: usize = 1024;
/// Matching steps one tool call may spend over all keys and patterns: tens of milliseconds.
pub const STEP_BUDGET: u64 = 20_000_000;

/// One element of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// `*`: any text, `/` included.
    Star,
    /// `?`: one character.
    Any,
    Literal(char),
    /// `[abc]`, `[!a-z]`: one character of (or not of) a set of ranges.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A compiled glob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    tokens: Vec<Token>,
}

/// What is left of a call's matching steps.
#[derive(Debug)]
pub struct Budget(u64);

impl Default for Budget {
    fn default() -> Self {
        Budget(STEP_BUDGET)
    }
}

/// The budget ran out: the patterns cost too much over this listing.
#[derive(Debug, PartialEq, Eq)]
pub struct Exhausted;

impl Glob {
    /// Compiles `pattern`, or says why it is refused (too long).
    pub fn new(pattern: &str) -> Result<Glob, String> {
        let chars: Vec<char> = pattern.chars().collect();
        if chars.len() > MAX_PATTERN_CHARS {
            return Err(format!(
                "a pattern of {} characters is longer than the {MAX_PATTERN_CHARS} allowed",
                chars.len()
            ));
        }
        let mut tokens = Vec::with_capacity(chars.len());
        let mut i = 0;
        while i < chars.len() {
            let (token, next) = match chars[i] {
                // Runs of `*` mean what one does.
                '*' if tokens.last() == Some(&Token::Star) => {
                    i += 1;
                    continue;
                }
                '*' => (Token::Star, i + 1),
                '?' => (Token::Any, i + 1),
                '[' => class(&chars, i),
                c => (Token::Literal(c), i + 1),
            };
            tokens.push(token);
            i = next;
        }
        Ok(Glob { tokens })
    }

    /// Whether `text` matches, spending from `budget`.
    pub fn matches(&self, text: &str, budget: &mut Budget) -> Result<bool, Exhausted> {
        let t: Vec<char> = text.chars().collect();
        let p = &self.tokens;
        // Classic backtracking over the last `*`: at most pattern × text steps.
        let (mut pi, mut ti, mut star, mut mark) = (0, 0, None::<usize>, 0);
        while ti < t.len() {
            budget.0 = budget.0.checked_sub(1).ok_or(Exhausted)?;
            let advance = match p.get(pi) {
                Some(Token::Star) => {
                    star = Some(pi);
                    mark = ti;
                    pi += 1;
                    continue;
                }
                Some(Token::Any) => true,
                Some(Token::Literal(c)) => *c == t[ti],
                Some(Token::Class { negated, ranges }) => {
                    let hit = ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&t[ti]));
                    hit != *negated
                }
                None => false,
            };
            match (advance, star) {
                (true, _) => {
                    pi += 1;
                    ti += 1;
                }
                (false, Some(s)) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                (false, None) => return Ok(false),
            }
        }
        Ok(p[pi..].iter().all(|token| *token == Token::Star))
    }
}

/// The class starting at `p[start] == '['` and the index after its `]`. An unclosed `[` is a
/// literal `[`.
fn class(p: &[char], start: usize) -> (Token, usize) {
    let mut i = start + 1;
    let negated = matches!(p.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let first = i;
    let mut ranges = Vec::new();
    while let Some(&x) = p.get(i) {
        if x == ']' && i > first {
            return (Token::Class { negated, ranges }, i + 1);
        }
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&e| e != ']') {
            ranges.push((x, p[i + 2]));
            i += 3;
        } else {
            ranges.push((x, x));
            i += 1;
        }
    }
    (Token::Literal('['), start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, text: &str) -> bool {
        Glob::new(pattern)
            .unwrap()
            .matches(text, &mut Budget::default())
            .unwrap()
    }

    #[test]
    fn globs_match_like_fnmatch() {
        assert!(glob("*.csv", "a.csv") && glob("*.csv", "deep/dir/a.csv"));
        assert!(!glob("*.csv", "a.csv.gz"));
        assert!(glob("qc/*", "qc/fastqc/S001.html"));
        assert!(glob("lane[1-4]/*_R1.fastq.gz", "lane3/S001_R1.fastq.gz"));
        assert!(!glob("lane[1-4]/*_R1.fastq.gz", "lane5/S001_R1.fastq.gz"));
        assert!(glob("lane[!5]/*", "lane1/x") && !glob("lane[!5]/*", "lane5/x"));
        assert!(glob("S00?_R?.fastq.gz", "S007_R2.fastq.gz"));
        assert!(glob("README.md", "README.md") && !glob("README.md", "docs/README.md"));
        assert!(glob("*", "") && glob("a*b*c", "aXbYbZc") && !glob("a*b*c", "aXbY"));
        assert!(glob("[x", "[x") && glob("**.csv", "a/b.csv"));
    }

    #[test]
    fn hostile_patterns_are_refused_or_run_out_of_budget() {
        let long = format!("*[{}", "a".repeat(100_000));
        assert!(Glob::new(&long).unwrap_err().contains("longer than"));
        // The worst case for backtracking, over a listing of long keys: stops at the budget.
        let pattern = format!("*{}b", "a".repeat(500));
        let glob = Glob::new(&pattern).unwrap();
        let key = "a".repeat(1000);
        let mut budget = Budget::default();
        let outcome = (0..10_000).try_for_each(|_| glob.matches(&key, &mut budget).map(drop));
        assert_eq!(outcome, Err(Exhausted));
    }
}

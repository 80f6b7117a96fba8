//! fnmatch-style globs, as upstream's include and exclude patterns are matched.

/// fnmatch-style matching: `*` any text (also `/`), `?` one character, `[abc]`/`[!abc]`/`[a-z]`
/// one character of a set.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Classic backtracking over the last `*`: linear in practice for path-sized inputs.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None::<usize>, 0);
    while ti < t.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') => class(&p, pi, t[ti]),
            Some(&c) if c == t[ti] => Some(pi + 1),
            _ => None,
        };
        match (step, star) {
            (Some(next), _) => {
                pi = next;
                ti += 1;
            }
            (None, Some(s)) => {
                pi = s + 1;
                mark += 1;
                ti = mark;
            }
            (None, None) => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class starting at `p[start] == '['`: the index after `]` on a match.
/// An unclosed `[` is a literal.
fn class(p: &[char], start: usize, c: char) -> Option<usize> {
    let mut i = start + 1;
    let negated = matches!(p.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let first = i;
    let mut hit = false;
    while let Some(&x) = p.get(i) {
        if x == ']' && i > first {
            return (hit != negated).then_some(i + 1);
        }
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&e| e != ']') {
            hit |= (x..=p[i + 2]).contains(&c);
            i += 3;
        } else {
            hit |= x == c;
            i += 1;
        }
    }
    (c == '[').then_some(start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(glob("[x", "[x"));
    }
}

//! Process trees: block-structured models, sound by construction.

use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

/// A process tree over activity names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ProcessTree {
    /// One activity.
    Activity(String),
    /// A silent step (nothing happens).
    Tau,
    /// Children in order.
    Sequence(Vec<ProcessTree>),
    /// Exactly one child.
    Xor(Vec<ProcessTree>),
    /// All children, interleaved.
    Parallel(Vec<ProcessTree>),
    /// `do` first, then any number of (`redo`, `do`) rounds; the first child is `do`, the rest
    /// are alternative redo parts.
    Loop(Vec<ProcessTree>),
}

impl ProcessTree {
    /// Whether the tree can produce exactly `trace`.
    ///
    /// Trees from the Inductive Miner have disjoint alphabets under parallel nodes, which
    /// makes projection an exact test for interleavings.
    pub fn accepts(&self, trace: &[&str]) -> bool {
        Matcher {
            trace,
            memo: HashMap::new(),
        }
        .matches(self, 0, trace.len())
    }

    /// The activities the tree can produce.
    pub fn alphabet(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_alphabet(&mut out);
        out
    }

    fn collect_alphabet<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            ProcessTree::Activity(a) => out.push(a),
            ProcessTree::Tau => {}
            ProcessTree::Sequence(c)
            | ProcessTree::Xor(c)
            | ProcessTree::Parallel(c)
            | ProcessTree::Loop(c) => c.iter().for_each(|t| t.collect_alphabet(out)),
        }
    }
}

/// Decides whether a node produces a segment of a trace, remembering answers per
/// (node, start, end) so loops and sequences stay polynomial.
struct Matcher<'t> {
    trace: &'t [&'t str],
    memo: HashMap<(usize, usize, usize), bool>,
}

impl Matcher<'_> {
    fn matches(&mut self, node: &ProcessTree, i: usize, j: usize) -> bool {
        let key = (node as *const ProcessTree as usize, i, j);
        if let Some(&known) = self.memo.get(&key) {
            return known;
        }
        let result = match node {
            ProcessTree::Activity(a) => j == i + 1 && self.trace[i] == a,
            ProcessTree::Tau => i == j,
            ProcessTree::Xor(children) => children.iter().any(|c| self.matches(c, i, j)),
            ProcessTree::Sequence(children) => {
                let mut positions = vec![i];
                for c in children {
                    let mut next = Vec::new();
                    for &p in &positions {
                        for q in p..=j {
                            if !next.contains(&q) && self.matches(c, p, q) {
                                next.push(q);
                            }
                        }
                    }
                    positions = next;
                }
                positions.contains(&j)
            }
            ProcessTree::Parallel(children) => {
                let alphabets: Vec<Vec<&str>> =
                    children.iter().map(ProcessTree::alphabet).collect();
                let segment = &self.trace[i..j];
                segment
                    .iter()
                    .all(|e| alphabets.iter().any(|a| a.contains(e)))
                    && children.iter().zip(&alphabets).all(|(c, alphabet)| {
                        let projected: Vec<&str> = segment
                            .iter()
                            .copied()
                            .filter(|e| alphabet.contains(e))
                            .collect();
                        c.accepts(&projected)
                    })
            }
            ProcessTree::Loop(children) => {
                let (body, redos) = (&children[0], &children[1..]);
                let mut frontier: Vec<usize> =
                    (i..=j).filter(|&q| self.matches(body, i, q)).collect();
                let mut reached = frontier.clone();
                while let Some(p) = frontier.pop() {
                    for q in p..=j {
                        if redos.iter().any(|r| self.matches(r, p, q)) {
                            for r in q..=j {
                                if !reached.contains(&r) && self.matches(body, q, r) {
                                    reached.push(r);
                                    frontier.push(r);
                                }
                            }
                        }
                    }
                }
                reached.contains(&j)
            }
        };
        self.memo.insert(key, result);
        result
    }
}

impl fmt::Display for ProcessTree {
    /// pm4py's notation: `->( 'a', X( 'b', tau ) )`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (op, children) = match self {
            ProcessTree::Activity(a) => return write!(f, "'{a}'"),
            ProcessTree::Tau => return write!(f, "tau"),
            ProcessTree::Sequence(c) => ("->", c),
            ProcessTree::Xor(c) => ("X", c),
            ProcessTree::Parallel(c) => ("+", c),
            ProcessTree::Loop(c) => ("*", c),
        };
        write!(f, "{op}( ")?;
        for (i, c) in children.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{c}")?;
        }
        write!(f, " )")
    }
}

#[cfg(test)]
mod tests {
    use super::ProcessTree::*;
    use super::*;

    fn a(name: &str) -> ProcessTree {
        Activity(name.into())
    }

    #[test]
    fn accepts_exactly_the_language_of_the_tree() {
        // ->( 'a', +( 'b', 'c' ), *( 'd', 'e' ), X( 'f', tau ) )
        let t = Sequence(vec![
            a("a"),
            Parallel(vec![a("b"), a("c")]),
            Loop(vec![a("d"), a("e")]),
            Xor(vec![a("f"), Tau]),
        ]);
        for ok in [
            &["a", "b", "c", "d", "f"][..],
            &["a", "c", "b", "d", "e", "d"],
            &["a", "b", "c", "d", "e", "d", "e", "d", "f"],
        ] {
            assert!(t.accepts(ok), "{ok:?}");
        }
        for bad in [
            &["a", "b", "d"][..],
            &["a", "b", "c", "d", "e"],
            &["b", "a", "c", "d"],
            &["a", "b", "c", "d", "f", "f"],
            &[],
        ] {
            assert!(!t.accepts(bad), "{bad:?}");
        }
        assert_eq!(
            t.to_string(),
            "->( 'a', +( 'b', 'c' ), *( 'd', 'e' ), X( 'f', tau ) )"
        );
        assert!(Loop(vec![Tau, a("x")]).accepts(&["x", "x"]));
        assert!(Loop(vec![Tau, a("x")]).accepts(&[]));
    }
}

//! The review before finalizing: what is missing or wrong, and whether it may be finalized.

use super::Interview;
use super::nav::Item;

#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A required question left blank.
    Missing,
    /// An answer its constraint no longer accepts (another answer changed since).
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Review {
    pub problems: Vec<(Item, Problem)>,
    pub answered: usize,
    pub questions: usize,
}

impl Review {
    pub fn can_finalize(&self) -> bool {
        self.problems.is_empty()
    }
    pub fn missing(&self) -> impl Iterator<Item = &Item> {
        self.problems
            .iter()
            .filter(|(_, p)| *p == Problem::Missing)
            .map(|(i, _)| i)
    }
}

impl Interview {
    /// (answered, questions) among the questions that apply or may still apply: what
    /// headers and draft lists show, without checking every constraint as
    /// [`Interview::review`] does (it runs per frame and per autosave). A question hidden
    /// only because something it depends on is not answered yet counts, so the total does
    /// not grow as the interview goes (0/1 → 5/22 → 27/27); it shrinks when an answer rules
    /// questions out, and grows only when a repeat gains an instance.
    pub fn progress(&self) -> (usize, usize) {
        let mut answered = 0;
        let mut questions = 0;
        for item in self.items() {
            let Item::Question { node, path } = &item else {
                continue;
            };
            if !self.form.node(*node).kind.takes_answer() {
                continue;
            }
            questions += 1;
            if !self.stored(*node, path).is_blank() {
                answered += 1;
            }
        }
        (answered, questions + self.undecided())
    }

    /// Questions outside repeats that do not apply now but may yet: something their
    /// relevance reads is unanswered and could still be answered.
    fn undecided(&self) -> usize {
        let nodes = &self.form.nodes;
        let mut open = vec![false; nodes.len()];
        let mut count = 0;
        for (i, n) in nodes.iter().enumerate() {
            let id = crate::expr::NodeId::new(i);
            if !n.chain.is_empty() || self.is_relevant(id, &[]) {
                continue;
            }
            let pending = self.form.relevance_inputs[i].iter().any(|q| {
                self.form.node(*q).chain.is_empty()
                    && self.stored(*q, &[]).is_blank()
                    && (self.is_relevant(*q, &[]) || open[q.index()])
            });
            if pending {
                open[i] = true;
                if n.kind.takes_answer() {
                    count += 1;
                }
            }
        }
        count
    }

    /// Checks every visible question.
    pub fn review(&self) -> Review {
        let (answered, questions) = self.progress();
        let mut r = Review {
            answered,
            questions,
            ..Review::default()
        };
        for item in self.items() {
            let Item::Question { node, path } = &item else {
                continue;
            };
            if !self.form.node(*node).kind.takes_answer() {
                continue;
            }
            if let Some(msg) = self.held_problem(*node, path) {
                r.problems.push((item.clone(), Problem::Invalid(msg)));
            } else if let Err(msg) = self.check_stored(*node, path) {
                let p = if self.stored(*node, path).is_blank() {
                    Problem::Missing
                } else {
                    Problem::Invalid(msg)
                };
                r.problems.push((item.clone(), p));
            }
        }
        r
    }
}

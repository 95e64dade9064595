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
    /// (answered, questions) among the visible questions: what headers and draft lists show,
    /// without checking every constraint as [`Interview::review`] does (it runs per frame and
    /// per autosave).
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
        (answered, questions)
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

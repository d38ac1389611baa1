//! A tally of checks: how many held, and what each one that did not hold found.

#[derive(Debug, Default)]
pub struct Check {
    pub passed: usize,
    pub problems: Vec<String>,
}

impl Check {
    /// Counts a check that held; keeps the description of one that did not.
    pub fn that(&mut self, held: bool, problem: impl FnOnce() -> String) {
        if held {
            self.passed += 1;
        } else {
            self.problems.push(problem());
        }
    }

    /// The problems found, the first few in full.
    pub fn report(&self) -> String {
        let mut shown: Vec<String> = self.problems.iter().take(30).cloned().collect();
        if self.problems.len() > shown.len() {
            shown.push(format!("… and {} more", self.problems.len() - shown.len()));
        }
        shown.join("\n")
    }
}

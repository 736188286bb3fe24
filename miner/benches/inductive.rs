//! `make bench`: the Inductive Miner (IMf) on unstructured logs with many activities, where
//! cut detection is tried once per activity in the fall-throughs. The goal set by issue 14:
//! 1,200 activities in under 10 s (it took over 600 s before cut detection became
//! near-linear). Logs are generated: 20 traces per activity of 3-30 steps, mostly to a near
//! neighbour, sometimes anywhere, so that no structure exists to find.

use flowsight_miner::discovery::inductive::inductive_miner;
use flowsight_miner::discovery::ProcessStats;
use flowsight_miner::log::EventLogBuilder;
use std::time::Instant;

/// A small deterministic generator (xorshift), so every run mines the same log.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn unstructured(activities: u64) -> ProcessStats {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let names: Vec<String> = (0..activities).map(|a| format!("act{a}")).collect();
    let mut log = EventLogBuilder::new();
    for case in 0..activities * 20 {
        log.start_case(case.to_string());
        let mut a = rng.below(activities);
        for step in 0..3 + rng.below(28) {
            a = if rng.below(5) < 4 {
                (a + [1, 1, 2, 3][rng.below(4) as usize]) % activities
            } else {
                rng.below(activities)
            };
            log.push_event(&names[a as usize], Some(step as i64));
        }
    }
    ProcessStats::from_log(&log.build())
}

fn main() {
    for activities in [200, 1_200, 2_000] {
        let stats = unstructured(activities);
        let start = Instant::now();
        let tree = inductive_miner(&stats, 0.0).expect("within the limit");
        let took = start.elapsed();
        let noisy = Instant::now();
        inductive_miner(&stats, 0.2).expect("within the limit");
        println!(
            "IMf on {activities} activities, {} traces, {} variants: {:.2} s at noise 0, {:.2} s at noise 0.2 (tree of {} characters)",
            stats.cases,
            stats.variants.len(),
            took.as_secs_f64(),
            noisy.elapsed().as_secs_f64(),
            tree.to_string().len()
        );
    }
}

//! The compact form in which a store keeps each instance's steps (activity id, time,
//! lifecycle, span end) beside its events: what the per-instance process state is made of, so
//! that filtered views and corrections of the running totals never read the events again.
//!
//! Varints throughout; times are deltas from the previous step, so a typical step takes four
//! to six bytes where its event takes hundreds.

use crate::CollectorError;
use miner::discovery::CaseSteps;
use miner::log::Lifecycle;
use miner::time::Micros;

/// Format version, the first byte of every encoded trace.
const VERSION: u8 = 1;
/// Bit of a step's flags byte: it records a span end.
const HAS_END: u8 = 4;

/// One instance's steps in time order, owned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// Activity ids.
    pub activities: Vec<u32>,
    /// When each step happened.
    pub timestamps: Vec<Option<Micros>>,
    /// Each step's lifecycle transition.
    pub lifecycles: Vec<Lifecycle>,
    /// When each step ended, for spans.
    pub ends: Vec<Option<Micros>>,
}

impl Trace {
    /// Appends one step.
    pub fn push(&mut self, activity: u32, at: Micros, lifecycle: Lifecycle, end: Option<Micros>) {
        self.activities.push(activity);
        self.timestamps.push(Some(at));
        self.lifecycles.push(lifecycle);
        self.ends.push(end);
    }

    /// Inserts a step after every step at or before its time: where an event stored after
    /// all the others belongs in stored order (time, then arrival). Returns its position.
    pub fn insert_in_order(
        &mut self,
        activity: u32,
        at: Micros,
        lifecycle: Lifecycle,
        end: Option<Micros>,
    ) -> usize {
        let i = self
            .timestamps
            .partition_point(|t| t.is_none_or(|t| t <= at));
        self.activities.insert(i, activity);
        self.timestamps.insert(i, Some(at));
        self.lifecycles.insert(i, lifecycle);
        self.ends.insert(i, end);
        i
    }

    /// The steps as the miner takes them.
    pub fn steps(&self) -> CaseSteps<'_> {
        CaseSteps {
            activities: &self.activities,
            timestamps: &self.timestamps,
            lifecycles: &self.lifecycles,
            ends: &self.ends,
        }
    }

    /// The compact bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.activities.len() * 6);
        out.push(VERSION);
        put(&mut out, self.activities.len() as u64);
        let mut previous = 0;
        for i in 0..self.activities.len() {
            let at = self.timestamps[i].unwrap_or(previous);
            let lifecycle = match self.lifecycles[i] {
                Lifecycle::Complete => 0,
                Lifecycle::Start => 1,
                Lifecycle::Other => 2,
            };
            let flags = lifecycle | if self.ends[i].is_some() { HAS_END } else { 0 };
            out.push(flags);
            put(&mut out, u64::from(self.activities[i]));
            put(&mut out, zigzag(at.wrapping_sub(previous)));
            if let Some(end) = self.ends[i] {
                put(&mut out, zigzag(end.wrapping_sub(at)));
            }
            previous = at;
        }
        out
    }

    /// Reads bytes written by [`Trace::encode`]; anything else is reported as corrupt.
    pub fn decode(bytes: &[u8]) -> Result<Self, CollectorError> {
        let mut trace = Trace::default();
        trace.decode_into(bytes)?;
        Ok(trace)
    }

    /// Reads bytes written by [`Trace::encode`] into this trace, replacing its steps: a scan of
    /// many stored traces reuses one.
    pub fn decode_into(&mut self, bytes: &[u8]) -> Result<(), CollectorError> {
        let corrupt = || CollectorError::StateDamaged("a stored trace is unreadable".into());
        let (&version, mut rest) = bytes.split_first().ok_or_else(corrupt)?;
        if version != VERSION {
            return Err(corrupt());
        }
        let len = take(&mut rest).ok_or_else(corrupt)? as usize;
        let trace = self;
        trace.activities.clear();
        trace.timestamps.clear();
        trace.lifecycles.clear();
        trace.ends.clear();
        let mut previous: Micros = 0;
        for _ in 0..len.min(bytes.len()) {
            let (&flags, tail) = rest.split_first().ok_or_else(corrupt)?;
            rest = tail;
            let activity =
                u32::try_from(take(&mut rest).ok_or_else(corrupt)?).map_err(|_| corrupt())?;
            let at = previous.wrapping_add(unzigzag(take(&mut rest).ok_or_else(corrupt)?));
            let end = if flags & HAS_END != 0 {
                Some(at.wrapping_add(unzigzag(take(&mut rest).ok_or_else(corrupt)?)))
            } else {
                None
            };
            let lifecycle = match flags & 3 {
                0 => Lifecycle::Complete,
                1 => Lifecycle::Start,
                _ => Lifecycle::Other,
            };
            trace.push(activity, at, lifecycle, end);
            previous = at;
        }
        if trace.activities.len() != len || !rest.is_empty() {
            return Err(corrupt());
        }
        Ok(())
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends `v` as a LEB128 varint.
fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a LEB128 varint off the front of `bytes`.
fn take(bytes: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_reads_back_as_written() {
        let mut trace = Trace::default();
        trace.push(0, 1_700_000_000_000_000, Lifecycle::Complete, None);
        trace.push(
            300,
            1_699_999_999_000_000,
            Lifecycle::Start,
            Some(1_700_000_000_500_000),
        );
        trace.push(7, i64::MAX, Lifecycle::Other, Some(i64::MIN));
        trace.push(u32::MAX, -5, Lifecycle::Complete, None);
        assert_eq!(Trace::decode(&trace.encode()).unwrap(), trace);
        assert_eq!(
            Trace::decode(&Trace::default().encode()).unwrap(),
            Trace::default()
        );
    }

    #[test]
    fn a_later_event_goes_after_every_step_at_or_before_its_time() {
        let mut trace = Trace::default();
        for (a, at) in [(1, 10), (2, 20), (3, 20), (4, 30)] {
            trace.push(a, at, Lifecycle::Complete, None);
        }
        trace.insert_in_order(5, 20, Lifecycle::Start, Some(25));
        trace.insert_in_order(6, 5, Lifecycle::Complete, None);
        trace.insert_in_order(7, 99, Lifecycle::Complete, None);
        assert_eq!(trace.activities, [6, 1, 2, 3, 5, 4, 7]);
        assert_eq!(trace.ends[4], Some(25));
        assert_eq!(trace.lifecycles[4], Lifecycle::Start);
    }

    #[test]
    fn damaged_bytes_are_reported_not_misread() {
        let mut trace = Trace::default();
        trace.push(1, 10, Lifecycle::Complete, Some(20));
        let bytes = trace.encode();
        for cut in 0..bytes.len() {
            assert!(Trace::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Trace::decode(&longer).is_err());
        assert!(Trace::decode(&[9, 0]).is_err(), "unknown version");
    }
}

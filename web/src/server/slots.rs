//! A bounded set of open connections in which a newcomer can always get a seat.
//!
//! Each listener holds at most `max` connections. When a new connection arrives and every
//! seat is taken, the oldest connection that has no request in flight (an idle keep-alive, a
//! slow sender still dribbling its headers, a flood of empty sockets) is asked to close, so a
//! connection flood never locks real users out; only when every connection is busy with a
//! request is the newcomer refused.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// What the server knows of one open connection.
#[derive(Debug, Default)]
pub struct Seat {
    /// Requests being answered on it now.
    in_flight: AtomicUsize,
    /// Told when the connection should finish its current request and close.
    close: Notify,
}

impl Seat {
    /// Marks a request as started; the returned guard marks it finished when dropped.
    pub fn request(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        RequestGuard(self.clone())
    }

    /// Resolves when the connection is asked to close.
    pub async fn closing(&self) {
        self.close.notified().await;
    }
}

/// A request in flight on a seat.
pub struct RequestGuard(Arc<Seat>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The open connections of one listener, in the order they arrived.
#[derive(Debug)]
pub struct Slots {
    max: usize,
    next: AtomicUsize,
    open: Mutex<BTreeMap<usize, Arc<Seat>>>,
}

/// A seat taken in [`Slots`]; freed when dropped (the connection ended).
pub struct Ticket {
    slots: Arc<Slots>,
    id: usize,
    /// The seat's shared state.
    pub seat: Arc<Seat>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.slots.lock().remove(&self.id);
    }
}

impl Slots {
    /// Room for `max` connections (at least one).
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max: max.max(1),
            next: AtomicUsize::new(0),
            open: Mutex::new(BTreeMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<usize, Arc<Seat>>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A seat for a new connection, asking the oldest idle one to make room when full;
    /// `None` when every open connection is busy.
    pub fn admit(self: &Arc<Self>) -> Option<Ticket> {
        let mut open = self.lock();
        if open.len() >= self.max {
            let idle = open
                .iter()
                .find(|(_, seat)| seat.in_flight.load(Ordering::SeqCst) == 0)
                .map(|(&id, _)| id)?;
            if let Some(seat) = open.remove(&idle) {
                seat.close.notify_one();
            }
        }
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let seat = Arc::new(Seat::default());
        open.insert(id, seat.clone());
        Some(Ticket {
            slots: self.clone(),
            id,
            seat,
        })
    }

    /// Asks every open connection to finish its request and close (shutdown).
    pub fn close_all(&self) {
        for seat in self.lock().values() {
            seat.close.notify_one();
        }
    }

    /// Connections open now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_listener_closes_its_oldest_idle_connection_for_a_newcomer() {
        let slots = Slots::new(2);
        let first = slots.admit().unwrap();
        let second = slots.admit().unwrap();
        let _busy = second.seat.request();
        let third = slots.admit().expect("the idle first connection makes room");
        assert_eq!(slots.len(), 2);
        drop(first);
        assert_eq!(slots.len(), 2, "the evicted seat is already free");
        let _busy_too = third.seat.request();
        assert!(slots.admit().is_none(), "every connection is busy");
    }

    #[tokio::test]
    async fn an_evicted_connection_is_told_to_close() {
        let slots = Slots::new(1);
        let first = slots.admit().unwrap();
        let _second = slots.admit().unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(1), first.seat.closing())
            .await
            .expect("the first connection is asked to close");
    }
}

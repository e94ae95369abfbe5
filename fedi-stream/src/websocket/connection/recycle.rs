//! Text buffers handed back by the host ([`Connection::recycle`]), for the next text messages.
//!
//! A received text message is a `String` of its own; allocating it and, once the host is done
//! with it, freeing it is most of the cost of a short message. A host that hands the strings
//! back lets the next messages be received into them instead.

use std::fmt;

use super::Connection;

/// The most buffers kept.
const MAX_BUFFERS: usize = 1024;

/// The most capacity, in bytes, the kept buffers hold together.
const MAX_CAPACITY: usize = 256 * 1024;

/// Emptied strings waiting to receive text messages, last in first out. Bounded: at most
/// [`MAX_BUFFERS`] of them, holding at most [`MAX_CAPACITY`] bytes together.
#[derive(Default)]
pub(super) struct Recycled {
    buffers: Vec<String>,
    /// The capacity of `buffers`' strings, added up.
    capacity: usize,
}

impl Recycled {
    /// Keeps `text`, emptied, if it has capacity and both bounds allow it; drops it otherwise.
    fn put(&mut self, mut text: String) {
        let capacity = text.capacity();
        if capacity == 0
            || self.buffers.len() >= MAX_BUFFERS
            || capacity > MAX_CAPACITY - self.capacity
        {
            return;
        }
        text.clear();
        self.capacity += capacity;
        self.buffers.push(text);
    }

    /// The last buffer kept, empty, if any.
    pub(super) fn take(&mut self) -> Option<String> {
        let text = self.buffers.pop()?;
        self.capacity -= text.capacity();
        Some(text)
    }
}

impl fmt::Debug for Recycled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recycled")
            .field("buffers", &self.buffers.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Connection {
    /// The most text buffers [`recycle`](Self::recycle) keeps.
    pub const MAX_RECYCLED_BUFFERS: usize = MAX_BUFFERS;

    /// The most capacity, in bytes, of the text buffers [`recycle`](Self::recycle) keeps,
    /// together.
    pub const MAX_RECYCLED_CAPACITY: usize = MAX_CAPACITY;

    /// Hands back the `String` of a text message (or any `String`) once the host is done with
    /// it: a later text message is received into it (its contents dropped, its capacity kept)
    /// rather than into a new allocation. Optional: without it every text message allocates.
    ///
    /// Kept only within two bounds: at most [`MAX_RECYCLED_BUFFERS`](Self::MAX_RECYCLED_BUFFERS)
    /// buffers, holding at most [`MAX_RECYCLED_CAPACITY`](Self::MAX_RECYCLED_CAPACITY) bytes
    /// together (a string with more capacity than is left, or without capacity, is dropped
    /// here). The most recently handed back is used first; one smaller than the next message
    /// grows.
    ///
    /// ```
    /// use fedi_stream::websocket::{Connection, Event, Limits, Message};
    ///
    /// let mut client = Connection::client(Limits::default(), 1);
    /// let mut server = Connection::server(Limits::default());
    /// let mut wire = Vec::new();
    /// client.send_text("first", &mut wire)?;
    /// client.send_text("second", &mut wire)?;
    /// server.handle_bytes(&wire)?;
    /// while let Some(event) = server.poll_event() {
    ///     if let Event::Message(Message::Text(text)) = event {
    ///         println!("{text}");
    ///         server.recycle(text);
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recycle(&mut self, text: String) {
        self.reader.recycled.put(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::websocket::{DataKind, Event, Limits, Message};

    /// What a server makes of `wire` fed a byte at a time, handing a copy of every text
    /// message back with `recycle`.
    fn receive(wire: &[u8], recycle: bool) -> Vec<Event> {
        let mut server = Connection::server(Limits::default());
        let mut events = Vec::new();
        for byte in wire.chunks(1) {
            assert_eq!(server.handle_bytes(byte), Ok(1));
            while let Some(event) = server.poll_event() {
                if let (true, Event::Message(Message::Text(text))) = (recycle, &event) {
                    server.recycle(text.clone());
                }
                events.push(event);
            }
        }
        events
    }

    #[test]
    fn recycled_buffers_receive_the_next_messages_alike() {
        let mut client = Connection::client(Limits::default(), 7);
        let mut wire = Vec::new();
        client.send_text("a first message", &mut wire).unwrap();
        client.send_text("", &mut wire).unwrap();
        client
            .send_text("then a longer one, with é and 😀", &mut wire)
            .unwrap();
        client
            .send_fragment(DataKind::Text, "caf".as_bytes(), false, &mut wire)
            .unwrap();
        client.send_ping(b"between", &mut wire).unwrap();
        client
            .send_fragment(DataKind::Text, &[0xC3], false, &mut wire)
            .unwrap();
        client
            .send_fragment(DataKind::Text, &[0xA9], true, &mut wire)
            .unwrap();
        client.send_binary(b"binary", &mut wire).unwrap();
        client.send_text("short", &mut wire).unwrap();

        let plain = receive(&wire, false);
        assert_eq!(plain.len(), 7);
        assert_eq!(receive(&wire, true), plain);

        // A text message is received into the buffer handed back last.
        let mut server = Connection::server(Limits::default());
        let mut kept = String::with_capacity(64);
        kept.push_str("stale contents");
        let address = kept.as_ptr();
        server.recycle(kept);
        let mut wire = Vec::new();
        client.send_text("reused", &mut wire).unwrap();
        server.handle_bytes(&wire).unwrap();
        let Some(Event::Message(Message::Text(text))) = server.poll_event() else {
            panic!("a text message");
        };
        assert_eq!(text, "reused");
        assert_eq!(text.as_ptr(), address);
    }

    #[test]
    fn keeps_buffers_within_both_bounds_and_hands_them_out_emptied() {
        let mut recycled = Recycled::default();
        recycled.put(String::new());
        assert!(recycled.take().is_none());

        let mut text = String::with_capacity(100);
        text.push_str("old message");
        let capacity = text.capacity();
        recycled.put(text);
        let text = recycled.take().expect("kept");
        assert!(text.is_empty());
        assert_eq!(text.capacity(), capacity);
        assert_eq!(recycled.capacity, 0);

        recycled.put(String::with_capacity(MAX_CAPACITY + 1));
        assert!(recycled.take().is_none());

        let mut kept = 0;
        for _ in 0..2 * MAX_BUFFERS {
            recycled.put(String::with_capacity(MAX_CAPACITY / MAX_BUFFERS / 2));
            kept = recycled.buffers.len();
        }
        assert_eq!(kept, MAX_BUFFERS);
        assert!(recycled.capacity <= MAX_CAPACITY);

        let mut recycled = Recycled::default();
        for _ in 0..10 {
            recycled.put(String::with_capacity(MAX_CAPACITY / 4));
        }
        assert!(recycled.capacity <= MAX_CAPACITY);
        assert!(recycled.buffers.len() <= 4);
        let mut taken = 0;
        while recycled.take().is_some() {
            taken += 1;
        }
        assert_eq!(recycled.capacity, 0);
        assert!(taken >= 3);
    }
}

//! A stand-in for JaaS's recording storage: an HTTP server on loopback that fails the
//! first requests with 500 and then serves the file, at once or slowly.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub struct Storage {
    port: u16,
    requests: Arc<AtomicUsize>,
}

impl Storage {
    /// Serves `body` for every path, after failing the first `fail_first` requests.
    pub fn start(body: Vec<u8>, fail_first: usize) -> Self {
        Self::serve(body, fail_first, Duration::ZERO)
    }

    /// Serves `body` for every path in ten pieces spread over `taking`.
    pub fn slow(body: Vec<u8>, taking: Duration) -> Self {
        Self::serve(body, 0, taking)
    }

    /// Serves `body` as `content_type` (a sign-in page, say), at once.
    pub fn typed(body: Vec<u8>, content_type: &'static str) -> Self {
        Self::serve_as(body, 0, Duration::ZERO, content_type)
    }

    fn serve(body: Vec<u8>, fail_first: usize, taking: Duration) -> Self {
        Self::serve_as(body, fail_first, taking, "video/mp4")
    }

    fn serve_as(body: Vec<u8>, fail_first: usize, taking: Duration, content_type: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                // Read the request head; the body of a GET is empty.
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if line == "\r\n" {
                        break;
                    }
                    line.clear();
                }
                let n = counter.fetch_add(1, Ordering::SeqCst);
                if n < fail_first {
                    let _ = stream.write_all(
                        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    continue;
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                for piece in body.chunks(body.len().div_ceil(10).max(1)) {
                    std::thread::sleep(taking / 10);
                    if stream.write_all(piece).and_then(|()| stream.flush()).is_err() {
                        break;
                    }
                }
            }
        });
        Storage { port, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// How many requests arrived so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

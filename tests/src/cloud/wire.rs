//! HTTP/1.1 as the proxy speaks it over plain TCP: a request read off the connection, and
//! an answer written back, or none at all (`Reply::Cut`, the fault of a connection closed
//! after the write was applied).

use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// A request as read off the connection.
pub(super) struct Request {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl Request {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer, or nothing at all: the connection is closed.
pub(super) enum Reply {
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    Cut,
}

impl Reply {
    pub(super) fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Answer { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

pub(super) fn json_reply(status: u16, content_type: &str, body: &Value) -> Reply {
    Reply::Answer {
        status,
        headers: vec![("content-type".to_owned(), content_type.to_owned())],
        body: body.to_string().into_bytes(),
    }
}

pub(super) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

/// Reads one request (headers, then a `content-length` body); `None` at a clean close.
pub(super) async fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Option<Request>> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(buffer) {
            Ok(httparse::Status::Complete(head_len)) => {
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_owned(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                let length: usize = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.trim().parse().ok())
                    .unwrap_or(0);
                let method = parsed.method.unwrap_or("GET").to_owned();
                let path = parsed.path.unwrap_or("/").to_owned();
                while buffer.len() < head_len + length {
                    if read_more(stream, buffer).await? == 0 {
                        return Ok(None);
                    }
                }
                let body = buffer[head_len..head_len + length].to_vec();
                buffer.drain(..head_len + length);
                return Ok(Some(Request {
                    method,
                    path,
                    headers,
                    body,
                }));
            }
            Ok(httparse::Status::Partial) => {
                if read_more(stream, buffer).await? == 0 {
                    return Ok(None);
                }
            }
            Err(error) => {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, error));
            }
        }
    }
}

pub(super) async fn read_more(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    let read = stream.read(&mut chunk).await?;
    buffer.extend_from_slice(&chunk[..read]);
    Ok(read)
}

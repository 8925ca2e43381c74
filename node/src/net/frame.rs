//! Length-prefixed frames on a byte stream: a `u32` little-endian length, then that many bytes.
//! A length over [`MAX_FRAME`] is refused before anything is allocated or read.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::proto::message::MAX_FRAME;

/// Reads one frame; `Ok(None)` when the stream ended cleanly between frames.
pub async fn read<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read(&mut len[..1]).await? {
        0 => return Ok(None),
        _ => r.read_exact(&mut len[1..]).await?,
    }
    let len = usize::try_from(u32::from_le_bytes(len)).unwrap_or(usize::MAX);
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a frame of {len} bytes is over the {MAX_FRAME} byte limit"),
        ));
    }
    let mut frame = vec![0u8; len];
    r.read_exact(&mut frame).await?;
    Ok(Some(frame))
}

/// Writes one frame and flushes it.
pub async fn write<W: AsyncWrite + Unpin>(w: &mut W, frame: &[u8]) -> io::Result<()> {
    let len = u32::try_from(frame.len()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too long"))?;
    w.write_all(&len.to_le_bytes()).await?;
    w.write_all(frame).await?;
    w.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use futures::io::Cursor;

    #[test]
    fn frames_round_trip_and_oversized_ones_are_refused() {
        block_on(async {
            let mut buf = Cursor::new(Vec::new());
            write(&mut buf, b"hello").await.unwrap();
            write(&mut buf, b"").await.unwrap();
            let mut r = Cursor::new(buf.into_inner());
            assert_eq!(read(&mut r).await.unwrap(), Some(b"hello".to_vec()));
            assert_eq!(read(&mut r).await.unwrap(), Some(Vec::new()));
            assert_eq!(read(&mut r).await.unwrap(), None);

            let mut huge = Cursor::new(u32::MAX.to_le_bytes().to_vec());
            assert_eq!(read(&mut huge).await.unwrap_err().kind(), io::ErrorKind::InvalidData);
            let mut cut = Cursor::new(vec![5, 0, 0, 0, 1, 2]);
            assert_eq!(read(&mut cut).await.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        });
    }
}

//! HL7 v2: parse (zero-copy, byte ranges), escape, path queries, write, MLLP, batch files, ACK.
//!
//! ```
//! use ehr_studio_bridge::hl7::Message;
//! let msg = Message::parse(b"MSH|^~\\&|EHR|CLINIC|||20250305143012||SIU^S12|42|P|2.3\rPID|1||123^^^^MR||DOE^JANE\r").unwrap();
//! assert_eq!(msg.get("PID-5.2").unwrap().decoded(), "JANE");
//! assert_eq!(msg.get("PID-3.5").unwrap().decoded(), "MR");
//! ```

pub mod ack;
pub mod batch;
pub mod charset;
pub mod datetime;
pub mod escape;
mod message;
pub mod mllp;
mod path;
pub mod tree;
pub mod write;

pub use message::{Delimiters, Element, Level, Message, ParseOptions, Segment};
pub use path::Path;

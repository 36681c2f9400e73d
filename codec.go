package gosk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// Codec turns payloads into the bytes a driver stores and back. A Codec
// must be safe for concurrent use.
type Codec interface {
	// Marshal encodes v.
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes data into the value v points to.
	Unmarshal(data []byte, v any) error
}

// JSONCodec is the default Codec: encoding/json.
type JSONCodec struct{}

// Marshal encodes v as JSON.
func (JSONCodec) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal decodes JSON data into the value v points to.
func (JSONCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// BytesCodec stores a byte-slice payload as it is, for a Queue[[]byte]
// (or of any type whose underlying type is a slice of bytes, such as
// json.RawMessage). Use it when the payload is already encoded (protobuf,
// MessagePack, a compressed or encrypted blob) or is opaque bytes:
// JSONCodec would store a []byte as quoted base64 text, a third larger,
// and spend time on both ends encoding it. A nil and an empty payload
// both read back as nil. Any other type is refused with an error, at
// Create, before anything is stored.
type BytesCodec struct{}

// Marshal returns a copy of v's bytes, so that the caller may reuse v
// once Create has returned.
func (BytesCodec) Marshal(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Slice || rv.Type().Elem().Kind() != reflect.Uint8 {
		return nil, fmt.Errorf("gosk: BytesCodec encodes byte slices only, not %T", v)
	}
	return bytes.Clone(rv.Bytes()), nil
}

// Unmarshal sets the byte slice v points to to a copy of data.
func (BytesCodec) Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() ||
		rv.Elem().Kind() != reflect.Slice || rv.Elem().Type().Elem().Kind() != reflect.Uint8 {
		return fmt.Errorf("gosk: BytesCodec decodes into a pointer to a byte slice only, not %T", v)
	}
	rv.Elem().SetBytes(bytes.Clone(data))
	return nil
}

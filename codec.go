package gosk

import "encoding/json"

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

package spec

import (
	"encoding/json"
	"fmt"
)

type operation struct {
	Method         string          `json:"method"`
	Path           string          `json:"path"`
	OperationID    string          `json:"operationId"`
	PathParams     []string        `json:"path_params"`
	RequiredParams []string        `json:"required_params"`
	Params         json.RawMessage `json:"params"`
	Response       string          `json:"response"`
}

// Extract keeps what the emulator needs of each operation of the catalogue
// (operations-2024-06-20.json), one operation a line.
func Extract(catalogue []byte) ([]byte, error) {
	var doc struct {
		Operations []operation `json:"operations"`
	}
	if err := json.Unmarshal(catalogue, &doc); err != nil {
		return nil, err
	}
	if len(doc.Operations) == 0 {
		return nil, fmt.Errorf("no operations in the catalogue")
	}
	buf := []byte("[\n")
	for i, op := range doc.Operations {
		line, err := json.Marshal(op)
		if err != nil {
			return nil, err
		}
		buf = append(buf, line...)
		if i < len(doc.Operations)-1 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
	}
	return append(buf, "]\n"...), nil
}

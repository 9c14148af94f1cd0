package main

import (
	"encoding/json"
	"sync/atomic"
)

type json_raw = json.RawMessage

// pending holds packets already read off the links during an operation (sendmmsg drains between messages).
var pending []packet

func jsonList(req request, key string, out interface{}) string {
	raw, ok := req[key]
	if !ok || string(raw) == "null" {
		return "the request has no '" + key + "' list"
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return "'" + key + "' is not a list: " + err.Error()
	}
	return ""
}

func jsonBool(req request, key string, out *bool) string {
	raw, ok := req[key]
	if !ok {
		return "the request has no boolean '" + key + "'"
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return "'" + key + "' is not a boolean"
	}
	return ""
}

func atomicStore(p *uint32, v uint32) { atomic.StoreUint32(p, v) }

module github.com/stripe-emulator/stripe-emulator

go 1.26.8

require (
	github.com/gorilla/mux v1.8.1
	github.com/hashicorp/go-memdb v1.3.5
	github.com/shopspring/decimal v1.6.0
	github.com/stripe/stripe-go/v79 v79.12.0
	github.com/stripe/stripe-go/v82 v82.5.1
	github.com/stripe/stripe-go/v85 v85.0.0
)

require (
	github.com/hashicorp/go-immutable-radix v1.3.1 // indirect
	github.com/hashicorp/golang-lru v0.5.4 // indirect
)

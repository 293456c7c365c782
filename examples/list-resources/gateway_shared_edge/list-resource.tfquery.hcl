# Every edge of the account.
list "gateway_shared_edge" "all" {
  provider = gateway
}

# Frontend and CLI tests (check). The IR's own tests are in ir/local.mk.

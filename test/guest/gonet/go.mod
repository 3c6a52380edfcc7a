module hartwood.test/gonet

go 1.19

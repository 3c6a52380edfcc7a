module hartwood.test/goguest

go 1.19

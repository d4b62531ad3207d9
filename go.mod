module github.com/orderhub/orderhub

go 1.26.8

savedcmd_sva_stub.mod := printf '%s\n'   sva_stub.o | awk '!x[$$0]++ { print("./"$$0) }' > sva_stub.mod

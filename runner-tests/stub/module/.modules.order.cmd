savedcmd_modules.order := {   echo sva_stub.o; :; } > modules.order

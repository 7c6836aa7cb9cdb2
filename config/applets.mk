# Applets compiled into build/blockbox. Override on the command line:
#   make APPLETS="gpt probe"
# Each name is applets/NAME.c or the folder applets/NAME/ (whose main.c
# holds the descriptor). The default is every applet in the tree.
DEFAULT_APPLETS := $(sort $(basename $(notdir $(wildcard applets/*.c))) \
                          $(notdir $(patsubst %/,%,$(dir $(wildcard applets/*/main.c)))))

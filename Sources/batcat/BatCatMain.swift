import ArgumentParser
import BatCatCLI

@main
extension BatCat {}

import { runServiceMain } from '@chat4all/common';
import { whatsappSimulatorService } from './server';

runServiceMain(whatsappSimulatorService());
